// The stream diagnostics' measures on hand-made activations.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "stream_diagnostics.h"

using namespace gomhc::trainer;

TEST_CASE("stream diagnostics: cosine similarity of the streams") {
    // Two tokens, d = 3, C = 2: equal streams, then orthogonal and opposite ones.
    const std::vector<float> x = {1, 2, 1, 2, 2,  4,   // token 0: all parallel
                                  1, 0, 0, 1, -1, 0};  // token 1: cos 0, -1, 0
    CHECK(mean_pairwise_cosine(x.data(), 1, 3, 2) == doctest::Approx(1.0));
    CHECK(mean_pairwise_cosine(x.data() + 6, 1, 3, 2) == doctest::Approx(-1.0 / 3));
    CHECK(mean_pairwise_cosine(x.data(), 2, 3, 2) == doctest::Approx((1.0 - 1.0 / 3) / 2));
    CHECK(mean_pairwise_cosine(x.data(), 2, 1, 6) == 1.0);  // one stream
    const std::vector<float> zero = {0, 0, 0, 0, 1, 0};     // zero pair 1, zero vs (1, 0) 0
    CHECK(mean_pairwise_cosine(zero.data(), 1, 3, 2) == doctest::Approx(1.0 / 3));
}

TEST_CASE("stream diagnostics: the streams' deviation from their mean counts scale") {
    // d = 2, C = 2: copies; scaled copies (1, 0) and (3, 0): mean (2, 0),
    // distances 1 each, so sqrt(1) / 2; opposite streams (mean 0) count 0.
    const std::vector<float> x = {1, 2, 1, 2, 1, 0, 3, 0, 1, 0, -1, 0};
    CHECK(relative_stream_deviation(x.data(), 1, 2, 2) == 0.0);
    CHECK(relative_stream_deviation(x.data() + 4, 1, 2, 2) == doctest::Approx(0.5));
    CHECK(mean_pairwise_cosine(x.data() + 4, 1, 2, 2) == doctest::Approx(1.0));
    CHECK(relative_stream_deviation(x.data(), 3, 2, 2) == doctest::Approx(0.5 / 3));
    CHECK(relative_stream_deviation(x.data(), 1, 1, 4) == 0.0);
}

TEST_CASE("stream diagnostics: H_res against the identity, the gates' spread") {
    const std::vector<float> identity = {1, 0, 0, 1}, swap = {0, 1, 1, 0};
    CHECK(identity_distance(identity.data(), 1, 2) == 0.0);
    CHECK(identity_distance(swap.data(), 1, 2) == doctest::Approx(2.0));
    std::vector<float> both = identity;
    both.insert(both.end(), swap.begin(), swap.end());
    CHECK(identity_distance(both.data(), 2, 2) == doctest::Approx(1.0));
    const std::vector<double> mean = mean_matrix(both.data(), 2, 2);
    CHECK(mean == std::vector<double>{0.5, 0.5, 0.5, 0.5});

    const std::vector<float> h = {0.25f, 0.25f, 0.25f, 0.25f, 1, 0, 0, 0};
    CHECK(stream_spread(h.data(), 1, 4) == 0.0);
    CHECK(stream_spread(h.data() + 4, 1, 4) == doctest::Approx(std::sqrt(3.0) / 4));
}

TEST_CASE("stream diagnostics: JSON round trip and a clear error") {
    StreamDiagnostics d;
    d.d = 2;
    d.cosine_after_block = {1.0, 0.9};
    d.deviation_after_block = {0.0, 0.1};
    d.layers.push_back({"h.0.hc_attn", 0.1, 0.2, 0.3, {1, 0, 0, 1}});
    const StreamDiagnostics back = stream_diagnostics_from_json(to_json(d));
    CHECK(back.cosine_after_block == d.cosine_after_block);
    CHECK(back.deviation_after_block == d.deviation_after_block);
    REQUIRE(back.layers.size() == 1);
    CHECK(back.layers[0].name == "h.0.hc_attn");
    CHECK(back.layers[0].mean_h_res == d.layers[0].mean_h_res);
    CHECK(format_diagnostics(d).find("block 0") != std::string::npos);

    nlohmann::json bad = to_json(d);
    bad["layers"][0]["mean_h_res"] = {1, 2, 3};
    CHECK_THROWS_WITH(stream_diagnostics_from_json(bad),
                      doctest::Contains("h.0.hc_attn has 3 H_res entries"));
}

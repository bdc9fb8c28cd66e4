// The installed C++ API: a mixer and a shape error.
#include <cstdio>
#include <gomhc/gomhc.hpp>
#include <vector>

int main() {
    const int d = 4, s = 2, n = d * s, tokens = 3;
    std::vector<float> params(tokens * n * (n - 1) / 2, 0.1f), q(tokens * n * n), h(tokens * d * d);
    gomhc::cayley_forward(d, s, gomhc::TensorView::host(params.data(), {tokens, n * (n - 1) / 2}),
                          gomhc::TensorView::host(q.data(), {tokens, n, n}));
    gomhc::orthostochastic_forward(d, s, gomhc::TensorView::host(q.data(), {tokens, n, n}),
                                   gomhc::TensorView::host(h.data(), {tokens, d, d}));
    float row_sum = h[0] + h[1] + h[2] + h[3];
    try {
        gomhc::orthostochastic_forward(d, s, gomhc::TensorView::host(q.data(), {tokens, n, n}),
                                       gomhc::TensorView::host(h.data(), {tokens, d, 3}));
        std::printf("consumer_cpp: a wrong shape was accepted\n");
        return 1;
    } catch (const gomhc::Error &e) {
        std::printf("consumer_cpp: row sum %.6f (%s kernel); bad shape says: %s\n", row_sum,
                    gomhc::kernel_variant(d, s).c_str(), e.what());
    }
    return row_sum > 0.99999f && row_sum < 1.00001f ? 0 : 1;
}

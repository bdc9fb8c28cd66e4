// mhc-lite: K = d! logits, w = softmax(logits) over the permutations of
// 0..d-1 in lexicographic order, H_res[i][perm_k[i]] += w_k
// (generators/permutation_mix_generator.cpp); d <= kMaxMhcLiteD. Starts with
// the identity permutation at weight 0.95 and the others sharing the rest,
// + N(0, 0.01^2) on the logits.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "method.h"
#include "op_support.h"

namespace gomhc::detail {
namespace {

// The permutation table as an int32 halide_buffer_t [P][d], in host memory
// and marked host-dirty, so Halide copies it to the GPU the first time a GPU
// kernel reads it (and device_free releases that copy). Without the flag
// Halide would take the unwritten device copy as current.
struct PermutationTable {
    std::vector<int32_t> entries;
    halide_dimension_t dims[2];
    halide_buffer_t buffer{};

    explicit PermutationTable(int d) {
        std::vector<int32_t> perm(static_cast<size_t>(d));
        std::iota(perm.begin(), perm.end(), 0);
        do {
            entries.insert(entries.end(), perm.begin(), perm.end());
        } while (std::next_permutation(perm.begin(), perm.end()));
        const int32_t count = int32_t(entries.size() / size_t(d));
        dims[0] = halide_dimension_t(0, d, 1);
        dims[1] = halide_dimension_t(0, count, d);
        buffer.type = halide_type_t(halide_type_int, 32);
        buffer.dimensions = 2;
        buffer.dim = dims;
        buffer.host = reinterpret_cast<uint8_t *>(entries.data());
        buffer.flags |= halide_buffer_flag_host_dirty;
    }
    ~PermutationTable() {
        if (buffer.device) {
            halide_device_free(nullptr, &buffer);
        }
    }
    PermutationTable(const PermutationTable &) = delete;
    PermutationTable &operator=(const PermutationTable &) = delete;
};

class MhcLiteMixer : public MethodMixer {
public:
    explicit MhcLiteMixer(int d) : d_(d), table_(d) {}

    void forward(const char *op, const TensorView &logits, const TensorView &h_res) override {
        const int64_t tokens = logits.shape()[0], k = logits.shape()[1], d = d_;
        auto fn = find_kernel(op, kernels::permutation_mix_forward_variants, logits.device(), d_);
        call_sliced(op, fn, tokens, std::max(k, d * d), d_, &table_.buffer, logits, h_res);
    }
    void backward(const char *op, const TensorView &logits, const TensorView &dh_res,
                  const TensorView &dlogits) override {
        const int64_t tokens = logits.shape()[0], k = logits.shape()[1], d = d_;
        auto fn = find_kernel(op, kernels::permutation_mix_backward_variants, logits.device(), d_);
        call_sliced(op, fn, tokens, std::max(k, d * d), d_, &table_.buffer, logits, dh_res,
                    dlogits);
    }

private:
    int d_;
    PermutationTable table_;
};

int64_t factorial(int d) {
    int64_t f = 1;
    for (int i = 2; i <= d; i++) {
        f *= i;
    }
    return f;
}

void check_shape(const std::string &where, int d, int) {
    if (d > kMaxMhcLiteD) {
        throw InvalidArgument(where + "d = " + std::to_string(d) + " needs " + std::to_string(d) +
                              "! permutation weights per token; mhc-lite supports d <= " +
                              std::to_string(kMaxMhcLiteD));
    }
}

void initial_logits(int, int, SeededNormal &normal, float *logits, int64_t count) {
    constexpr double kIdentityWeight = 0.95;
    // Permutation 0 is the identity; the others share 1 - 0.95.
    const double others = std::log((1.0 - kIdentityWeight) / kIdentityWeight /
                                   double(std::max<int64_t>(count - 1, 1)));
    for (int64_t i = 0; i < count; i++) {
        logits[i] = float((i == 0 ? 0.0 : others) + kStartJitter * normal.next());
    }
}

const MethodSpec spec{
    Method::mhc_lite,
    "mhc-lite",
    check_shape,
    [](int d, int) { return factorial(d); },
    initial_logits,
    [](int d, int) -> std::unique_ptr<MethodMixer> { return std::make_unique<MhcLiteMixer>(d); }};
const MethodRegistration registration(spec);

}  // namespace
}  // namespace gomhc::detail

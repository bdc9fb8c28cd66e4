// gomhc_bench: Which ops the benchmark times, in what order: every catalog op
// whose float64 side (reference/ops/) has bench sizes, in registry.cmake's
// order, and the bench's own chains of such ops.
#include <sstream>

#include "bench.h"

namespace gomhc_bench {
namespace {

// Catalog ops run back to back on the tensors they share by name, as a layer
// runs them; each chain's rows follow those of `after`.
struct Chain {
    const char *name;
    std::vector<const char *> steps;
    std::vector<Sizes> rows;
    const char *after;
};

// The go-mHC mixer's forward as one row: Q goes from the Cayley map to the
// projection through memory. Its rows follow the stream ops', where the
// summary has always shown them.
const Chain kChains[] = {{"cayley+projection_forward",
                          {"cayley_forward", "orthostochastic_forward"},
                          {{4096, 4, 2}, {16384, 4, 2}},
                          "stream_write_backward"}};

const ref::OpReference &reference_of(const char *op) {
    const ref::OpReference *reference = ref::find_op_reference(op);
    if (reference == nullptr) {
        throw std::logic_error(std::string("gomhc_bench: ") + op + " has no float64 reference");
    }
    return *reference;
}

BenchOp chain_op(const Chain &chain) {
    BenchOp op{chain.name, {}, {}, chain.rows};
    for (const char *step : chain.steps) {
        op.steps.push_back(&gomhc::op_info(step));
        op.references.push_back(&reference_of(step));
        if (op.steps.back()->sizes != op.size_names()) {
            throw std::logic_error(std::string("gomhc_bench: the steps of ") + chain.name +
                                   " take different sizes");
        }
    }
    return op;
}

std::vector<BenchOp> make_bench_ops() {
    std::vector<BenchOp> ops;
    std::vector<bool> placed(std::size(kChains), false);
    std::istringstream registry(GOMHC_REGISTRY_OPS);  // "cayley_forward,cayley_backward,..."
    for (std::string name; std::getline(registry, name, ',');) {
        const ref::OpReference *reference = ref::find_op_reference(name);
        if (reference != nullptr && !reference->bench_sizes.empty()) {
            ops.push_back({name, {&gomhc::op_info(name)}, {reference}, reference->bench_sizes});
        }
        for (size_t i = 0; i < std::size(kChains); i++) {
            if (name == kChains[i].after) {
                ops.push_back(chain_op(kChains[i]));
                placed[i] = true;
            }
        }
    }
    for (size_t i = 0; i < placed.size(); i++) {
        if (!placed[i]) {
            throw std::logic_error(std::string("gomhc_bench: ") + kChains[i].name + " follows " +
                                   kChains[i].after + ", not in registry.cmake");
        }
    }
    for (const ref::OpReference *reference : ref::op_references()) {
        const bool listed = std::any_of(
            ops.begin(), ops.end(), [&](const BenchOp &op) { return op.name == reference->op; });
        if (!reference->bench_sizes.empty() && !listed) {
            throw std::logic_error(std::string("gomhc_bench: ") + reference->op +
                                   " has bench sizes but is not in registry.cmake");
        }
    }
    return ops;
}

}  // namespace

const std::vector<BenchOp> &bench_ops() {
    static const std::vector<BenchOp> ops = make_bench_ops();
    return ops;
}

const BenchOp &bench_op(const std::string &name) {
    for (const BenchOp &op : bench_ops()) {
        if (op.name == name) {
            return op;
        }
    }
    throw std::logic_error("gomhc_bench: no benchmarked op " + name);
}

int64_t BenchOp::size(const Sizes &sh, const std::string &size) const {
    for (size_t i = 0; i < size_names().size(); i++) {
        if (size == size_names()[i]) {
            return int64_t(sh.at(i));
        }
    }
    throw std::logic_error("gomhc_bench: " + name + " has no size " + size);
}

Sizes BenchOp::with_tokens(const Sizes &sh, int64_t tokens) const {
    Sizes out = sh;
    for (size_t i = 0; i < size_names().size(); i++) {
        if (std::string(size_names()[i]) == "tokens") {
            out[i] = double(tokens);
        }
    }
    return out;
}

}  // namespace gomhc_bench

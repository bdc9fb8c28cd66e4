// gomhc_bench: The benchmarked ops as the catalog describes them: their
// tensors and the bytes one call moves, the flops their references count,
// and their kernel and float64 reference calls.
#include "bench.h"

namespace gomhc_bench {

std::string shape_string(const BenchOp &op, const Sizes &sh) {
    std::string out;
    for (size_t i = 0; i < sh.size(); i++) {
        const std::string name = op.size_names()[i];
        out += (out.empty() ? "" : "/") + (name == "tokens" ? "T" : name) + ":" +
               std::to_string(int64_t(sh[i]));
    }
    return out;
}

std::vector<TensorSpec> tensor_specs(const BenchOp &op, const Sizes &sh, int64_t t) {
    // A tensor grows with the tokens when its shape differs at t + 1 tokens.
    const Sizes at_t = op.with_tokens(sh, t), at_more = op.with_tokens(sh, t + 1);
    std::vector<TensorSpec> specs;
    for (const gomhc::OpInfo *step : op.steps) {
        const std::vector<gomhc::OpTensor> tensors = step->tensors(at_t);
        const std::vector<gomhc::OpTensor> more = step->tensors(at_more);
        for (size_t i = 0; i < tensors.size(); i++) {
            const gomhc::OpTensor &tensor = tensors[i];
            const int traffic = more[i].shape != tensor.shape ? 1 : 0;
            auto seen = std::find_if(specs.begin(), specs.end(), [&](const TensorSpec &spec) {
                return std::strcmp(spec.name, tensor.name) == 0;
            });
            if (seen == specs.end()) {
                specs.push_back({tensor.name, tensor.shape, tensor.output, traffic});
            } else {  // shared by two steps: written by one, read back by the next
                seen->output = seen->output || tensor.output;
                seen->traffic += traffic;
            }
        }
    }
    return specs;
}

int64_t element_count(const std::vector<int64_t> &shape) {
    int64_t count = 1;
    for (int64_t e : shape) {
        count *= e;
    }
    return count;
}

double bytes_per_token(const BenchOp &op, const Sizes &sh, double element_bytes) {
    double elements = 0;
    for (const TensorSpec &t : tensor_specs(op, sh, 1)) {
        elements += double(t.traffic) * double(element_count(t.shape));
    }
    return elements * element_bytes;
}

double flops_per_token(const BenchOp &op, const Sizes &sh) {
    double flops = 0;
    for (const ref::OpReference *reference : op.references) {
        flops += reference->flops_per_token(sh);
    }
    return flops;
}

KernelCall::KernelCall(const BenchOp &op, const Sizes &sh, const std::vector<float *> &data,
                       gomhc::Device device)
    : sizes_(sh) {
    const std::vector<TensorSpec> specs = tensor_specs(op, sh, op.tokens(sh));
    for (const gomhc::OpInfo *step : op.steps) {
        std::vector<gomhc::OpTensor> tensors = step->tensors(sh);
        std::vector<void *> pointers;
        for (const gomhc::OpTensor &tensor : tensors) {
            const auto spec = std::find_if(specs.begin(), specs.end(), [&](const TensorSpec &s) {
                return std::strcmp(s.name, tensor.name) == 0;
            });
            pointers.push_back(data.at(size_t(spec - specs.begin())));
        }
        steps_.emplace_back(step, gomhc::OpData(std::move(tensors), std::move(pointers), device));
    }
}

void KernelCall::operator()() const {
    for (const auto &[step, data] : steps_) {
        step->run(sizes_, data);
    }
}

void run_reference(const BenchOp &op, const Sizes &sh, int64_t t, const std::vector<ref::Vec> &in) {
    const Sizes sizes = op.with_tokens(sh, t);
    if (op.steps.size() == 1) {  // the inputs are the op's, in its order
        for (const ref::Vec &out : op.references[0]->run(sizes, in)) {
            benchmark::DoNotOptimize(out.data());
        }
        benchmark::ClobberMemory();
        return;
    }
    // A chain: each step's inputs by name, from the row's inputs or an
    // earlier step's outputs.
    std::vector<std::pair<std::string, ref::Vec>> named;
    size_t next_input = 0;
    for (const TensorSpec &spec : tensor_specs(op, sh, t)) {
        if (!spec.output) {
            named.emplace_back(spec.name, in.at(next_input++));
        }
    }
    auto find = [&](const char *name) {
        return std::find_if(named.begin(), named.end(),
                            [&](const auto &n) { return n.first == name; });
    };
    for (size_t i = 0; i < op.steps.size(); i++) {
        const std::vector<gomhc::OpTensor> tensors = op.steps[i]->tensors(sizes);
        std::vector<ref::Vec> step_inputs;
        for (const gomhc::OpTensor &tensor : tensors) {
            if (!tensor.output) {
                step_inputs.push_back(find(tensor.name)->second);
            }
        }
        std::vector<ref::Vec> outputs = op.references[i]->run(sizes, step_inputs);
        size_t next_output = 0;
        for (const gomhc::OpTensor &tensor : tensors) {
            if (tensor.output) {
                benchmark::DoNotOptimize(outputs[next_output].data());
                named.emplace_back(tensor.name, std::move(outputs[next_output++]));
            }
        }
    }
    benchmark::ClobberMemory();
}

}  // namespace gomhc_bench

#include "generator_io.h"

namespace gomhc::autotune {
namespace {

using Halide::Internal::GeneratorBase;
using Halide::Internal::GeneratorParamInfo;
using Halide::Internal::StubInput;

// A pointer to a private member, taken where C++ allows naming one: an
// explicit instantiation's template arguments skip access checking
// ([temp.spec]/6), and the friend function it defines hands the pointer out.
template<typename Tag, typename Tag::type Member>
struct PrivateMember {
    friend typename Tag::type member(Tag) { return Member; }
};

struct ParamInfo {
    using type = GeneratorParamInfo &(GeneratorBase::*)();
    friend type member(ParamInfo);
};
template struct PrivateMember<ParamInfo, &GeneratorBase::param_info>;

struct SetInputsVector {
    using type = void (GeneratorBase::*)(const std::vector<std::vector<StubInput>> &);
    friend type member(SetInputsVector);
};
template struct PrivateMember<SetInputsVector, &GeneratorBase::set_inputs_vector>;

}  // namespace

GeneratorIo generator_io(GeneratorBase &generator) {
    GeneratorParamInfo &info = (generator.*member(ParamInfo{}))();
    GeneratorIo io;
    for (const auto *input : info.inputs()) {
        io.inputs.push_back({input->name(), input->kind() == Halide::Internal::IOKind::Scalar});
    }
    for (const auto *output : info.outputs()) {
        io.outputs.push_back(output->name());
    }
    return io;
}

void set_generator_inputs(GeneratorBase &generator, const std::vector<GeneratorValue> &values) {
    std::vector<std::vector<StubInput>> inputs;
    for (const GeneratorValue &value : values) {
        if (const auto *scalar = std::get_if<int32_t>(&value)) {
            inputs.push_back({StubInput(Halide::Expr(*scalar))});
        } else {
            Halide::Internal::StubInputBuffer<> buffer(std::get<Halide::Buffer<>>(value));
            inputs.push_back({StubInput(buffer)});
        }
    }
    (generator.*member(SetInputsVector{}))(inputs);
}

}  // namespace gomhc::autotune

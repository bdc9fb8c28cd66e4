// The registry of the ops' float64 sides (op_reference.h).
#include "op_reference.h"

#include <algorithm>
#include <cstring>

namespace gomhc::reference {
namespace {
std::vector<const OpReference *> &registered() {
    static std::vector<const OpReference *> references;
    return references;
}
}  // namespace

OpReferenceRegistration::OpReferenceRegistration(const OpReference &reference) {
    registered().push_back(&reference);
}

std::vector<const OpReference *> op_references() {
    std::vector<const OpReference *> references = registered();
    std::sort(references.begin(), references.end(), [](const OpReference *a, const OpReference *b) {
        return std::strcmp(a->op, b->op) < 0;
    });
    return references;
}

const OpReference *find_op_reference(const std::string &op) {
    for (const OpReference *reference : registered()) {
        if (op == reference->op) {
            return reference;
        }
    }
    return nullptr;
}

}  // namespace gomhc::reference

// `gomhc inspect`: how a trained hyper-connection GPT uses its streams.
#pragma once

namespace gomhc::tools::inspect {

int inspect_main(int argc, char **argv);

}  // namespace gomhc::tools::inspect

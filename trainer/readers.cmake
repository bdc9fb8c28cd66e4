# The trainer's file readers and writers that need no kernels: token shards,
# the tokenizer file, safetensors and state.json (with the JSON they share
# and the model config it holds).
# The trainer builds them into its libraries; tests/fuzz compiles the same
# files with clang's fuzzer and sanitizer instrumentation.
set(GOMHC_TRAINER_READER_SOURCES checkpoint.cpp json_fields.cpp checkpoint_state.cpp gpt_config.cpp
                                 token_shards.cpp tokenizer.cpp utf8.cpp weights_file.cpp)

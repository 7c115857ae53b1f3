// Arbitrary bytes as captions: encode() always gives a context-length row framed by the special
// tokens, and decoding it never fails. Uses $CLIPFORGE_VOCAB (scripts/fuzz.sh points it at
// OpenAI's merges when ../shared has them), else a vocabulary trained here on a few captions.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/error.h"
#include "text/tokenizer.h"
#include "text/train.h"
#include "text/vocab_io.h"

namespace {
std::unique_ptr<clipforge::text::Tokenizer> tokenizer;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace clipforge::text;
  if (const char* vocab = std::getenv("CLIPFORGE_VOCAB"); vocab != nullptr && *vocab != '\0') {
    tokenizer = std::make_unique<Tokenizer>(Tokenizer::from_file(vocab));
    return 0;
  }
  const std::vector<std::string> captions = {"a photo of a cat", "a photo of a dog", "two cats on a sofa",
                                             "une photo d'un chat", "写真 of the city at night", "the quick brown fox"};
  const std::string path = "/tmp/clipforge_fuzz_merges_" + std::to_string(::getpid()) + ".txt";
  write_merges_file(path, train_bpe(captions, 600, 1));
  tokenizer = std::make_unique<Tokenizer>(Tokenizer::from_file(path));
  ::unlink(path.c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::int32_t> row = tokenizer->encode(text, 77);
  if (row.size() != 77 || row[0] != tokenizer->start_of_text()) __builtin_trap();
  bool has_end = false;
  for (std::int32_t id : row) has_end |= id == tokenizer->end_of_text();
  if (!has_end) __builtin_trap();
  tokenizer->decode(row);
  tokenizer->encode_bpe(text);
  return 0;
}

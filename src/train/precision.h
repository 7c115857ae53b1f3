// The arithmetic a training step runs in (OpenCLIP's --precision): fp32, bf16 autocast, or fp16
// autocast with loss scaling ("amp").
#pragma once

namespace clipforge {

enum class Precision { kFp32, kBf16, kAmp };

}  // namespace clipforge

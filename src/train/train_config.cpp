#include "train/train_config.h"

#include "core/error.h"

namespace clipforge {

void TrainConfig::validate() const {
  auto need = [](bool ok, const std::string& message) {
    if (!ok) throw usage_error(message);
  };
  need(!train_data.empty(), "--train-data is required");
  need(batch_size > 0, "--batch-size must be positive");
  need(epochs > 0, "--epochs must be positive");
  need(accum_freq > 0, "--accum-freq must be positive");
  need(optimizer.lr > 0, "--lr must be positive");
  need(optimizer.weight_decay >= 0, "--wd must not be negative");
  need(warmup >= 0, "--warmup must not be negative");
  need(grad_clip_norm >= 0, "--grad-clip-norm must not be negative");
  need(save_frequency >= 0 && save_every_steps >= 0, "save frequencies must not be negative");
  need(dist_timeout > 0, "--dist-timeout must be positive");
  need(bucket_cap_mb > 0 && bucket_cap_mb <= 4096, "--bucket-cap-mb must be in (0, 4096]");
  need(keep_last >= 1, "--keep-last must be at least 1");
  need(log_every >= 1, "--log-every must be at least 1");
  need(val_frequency >= 1, "--val-frequency must be at least 1");
  need(scale_min > 0 && scale_min <= scale_max && scale_max <= 1.0, "--scale needs 0 < min <= max <= 1");
  need(resume.empty() || resume == "latest", "--resume takes 'latest' (the run folder's newest checkpoint)");
  need(precision != Precision::kAmp || device.rfind("cuda", 0) == 0,
       "--precision amp (fp16 with loss scaling) needs --device cuda; use bf16 on the CPU");
  need(!(schedule == Schedule::kConstCooldown && epochs_cooldown <= 0), "--lr-scheduler const-cooldown needs --epochs-cooldown");
}

}  // namespace clipforge

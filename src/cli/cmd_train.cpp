// `clipforge train`: flags as OpenCLIP's training script names them, into a TrainConfig.
#include <iostream>

#include "cli/commands.h"
#include "train/trainer.h"

namespace clipforge::cli {

void register_train(CLI::App& app) {
  auto c = std::make_shared<TrainConfig>();
  auto schedule = std::make_shared<std::string>("cosine");
  auto precision = std::make_shared<std::string>("fp32");
  auto scale = std::make_shared<std::vector<double>>(std::vector<double>{0.9, 1.0});
  auto* cmd = app.add_subcommand("train", "contrastive training from image-text shards (OpenCLIP's flags)");
  // As with OpenCLIP's argparse, a flag given twice takes its last value (scripts append overrides).
  cmd->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->add_option("--model", c->model, "model config name or .json")->capture_default_str();
  cmd->add_option("--pretrained", c->pretrained, "weights to start from (safetensors, TorchScript, torch.save)");
  cmd->add_option("--train-data", c->train_data, "training shards: brace ranges, '::' lists, pipe:, .csv")->required();
  cmd->add_option("--train-num-samples", c->train_num_samples, "samples per epoch (default: sizes.json or counted)");
  cmd->add_option("--val-data", c->val_data, "validation shards");
  cmd->add_option("--vocab", c->vocab, "tokenizer vocabulary (default: trained from the training captions)");
  cmd->add_option("--batch-size", c->batch_size, "samples per step and process")->capture_default_str();
  cmd->add_option("--epochs", c->epochs)->capture_default_str();
  cmd->add_option("--max-steps", c->max_steps, "stop after this many steps (0 = run all epochs)");
  cmd->add_option("--lr", c->optimizer.lr)->capture_default_str();
  cmd->add_option("--wd", c->optimizer.weight_decay, "weight decay")->capture_default_str();
  cmd->add_option("--beta1", c->optimizer.beta1)->capture_default_str();
  cmd->add_option("--beta2", c->optimizer.beta2)->capture_default_str();
  cmd->add_option("--eps", c->optimizer.eps)->capture_default_str();
  cmd->add_option("--warmup", c->warmup, "warmup steps")->capture_default_str();
  cmd->add_option("--lr-scheduler", *schedule)->check(CLI::IsMember({"cosine", "const", "const-cooldown"}))->capture_default_str();
  cmd->add_option("--epochs-cooldown", c->epochs_cooldown, "const-cooldown: epochs of decay at the end");
  cmd->add_option("--lr-cooldown-power", c->lr_cooldown_power)->capture_default_str();
  cmd->add_option("--lr-cooldown-end", c->lr_cooldown_end)->capture_default_str();
  cmd->add_option("--grad-clip-norm", c->grad_clip_norm, "clip gradients to this norm (0 = off)");
  cmd->add_option("--accum-freq", c->accum_freq, "batches per optimizer step (same update as one larger batch)")
      ->capture_default_str();
  cmd->add_option("--precision", *precision)->check(CLI::IsMember({"fp32", "bf16", "amp"}))->capture_default_str();
  cmd->add_flag("--lock-image", c->lock_image, "freeze the image tower (LiT)");
  cmd->add_flag("--grad-checkpointing", c->grad_checkpointing, "recompute transformer blocks in backward");
  cmd->add_option("--scale", *scale, "random resized crop scale range: MIN MAX")
      ->expected(2)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->capture_default_str();
  cmd->add_option("--workers", c->workers, "data loader threads (0 = this rank's share of the cores: SLURM_CPUS_PER_TASK, else cores / LOCAL_WORLD_SIZE)");
  cmd->add_option("--max-member-bytes", c->limits.max_member_bytes, "skip shard images/json members larger than this, unread")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-caption-bytes", c->limits.max_caption_bytes, "skip samples whose caption is larger than this")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--pipe-timeout", c->limits.pipe_timeout_s, "seconds a pipe: command may send nothing before it is killed")
      ->capture_default_str()->check(CLI::Range(1, 86400));
  add_max_image_pixels_option(cmd, c->limits.max_image_pixels);
  add_csv_options(cmd, c->csv);
  cmd->add_option("--seed", c->seed)->capture_default_str();
  cmd->add_option("--device", c->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_flag("--tf32,!--no-tf32", c->tf32, "CUDA: float32 matmuls and convolutions on TF32 tensor cores (default on)");
  cmd->add_option("--logs", c->logs, "folder of run folders")->capture_default_str();
  cmd->add_option("--name", c->name, "run folder name (default: time and model)");
  cmd->add_option("--resume", c->resume, "'latest': continue from the run folder's newest checkpoint");
  cmd->add_option("--save-frequency", c->save_frequency, "epochs between checkpoints")->capture_default_str();
  cmd->add_option("--save-every-steps", c->save_every_steps, "also checkpoint every N steps (0 = off)");
  cmd->add_option("--keep-last", c->keep_last, "checkpoints kept")->capture_default_str();
  cmd->add_option("--log-every-n-steps", c->log_every)->capture_default_str();
  cmd->add_option("--val-frequency", c->val_frequency, "epochs between evaluations")->capture_default_str();
  cmd->add_option("--zeroshot-classes", c->zeroshot_classes, "class names (file or comma list) for zero-shot eval");
  cmd->add_option("--zeroshot-templates", c->zeroshot_templates, "template file, or built-in set: general, small")
      ->capture_default_str();
  cmd->add_option("--dist-timeout", c->dist_timeout, "seconds a collective waits for the other ranks")->capture_default_str();
  cmd->add_option("--bucket-cap-mb", c->bucket_cap_mb, "MiB per gradient all-reduce bucket (the first is 1 MiB)")->capture_default_str();
  cmd->add_flag("!--no-gather-with-grad", c->gather_with_grad,
                "distributed: other ranks' features without gradient (OpenCLIP without --gather-with-grad)");
  cmd->add_option("--max-bad-steps", c->max_bad_steps, "consecutive non-finite losses before stopping")->capture_default_str();
  cmd->callback([c, schedule, precision, scale] {
    apply_thread_settings();
    c->schedule = *schedule == "const" ? Schedule::kConst : *schedule == "const-cooldown" ? Schedule::kConstCooldown : Schedule::kCosine;
    c->precision = *precision == "bf16" ? Precision::kBf16 : *precision == "amp" ? Precision::kAmp : Precision::kFp32;
    c->scale_min = (*scale)[scale->size() - 2];
    c->scale_max = (*scale)[scale->size() - 1];
    std::cout << train(*c).dump(2) << std::endl;
  });
}

}  // namespace clipforge::cli

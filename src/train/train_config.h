// Everything `clipforge train` needs, as plain values. Filled by the CLI (flags named as in
// OpenCLIP's training script), validated once by validate().
#pragma once

#include <cstdint>
#include <string>

#include "data/csv_table.h"
#include "data/sample_reader.h"
#include "train/optimizer.h"
#include "train/precision.h"

namespace clipforge {

struct TrainConfig {
  // model and data
  std::string model = "ViT-B-32";
  std::string pretrained;          // weights to start from (empty: CLIP initialisation)
  std::string train_data;          // shard URLs
  int64_t train_num_samples = 0;   // epoch length; 0 = from sizes.json or counted
  std::string val_data;
  std::string vocab;               // empty: train one from the training captions
  int image_size_override = 0;     // 0 = the model's
  double scale_min = 0.9, scale_max = 1.0;
  int workers = 0;
  data::ReadLimits limits;         // shard members over these are skipped unread
  data::CsvOptions csv;            // separator and columns of a .csv --train-data / --val-data

  // optimisation
  int batch_size = 256;
  int epochs = 32;
  int64_t max_steps = 0;           // stop early after this many steps (0 = all epochs)
  OptimizerConfig optimizer;
  int64_t warmup = 2000;
  Schedule schedule = Schedule::kCosine;
  double epochs_cooldown = 0;      // const-cooldown: epochs of decay at the end
  double lr_cooldown_power = 1.0;
  double lr_cooldown_end = 0.0;
  double grad_clip_norm = 0;       // 0 = off
  int accum_freq = 1;
  Precision precision = Precision::kFp32;
  bool lock_image = false;
  bool grad_checkpointing = false;
  uint64_t seed = 0;
  std::string device = "cpu";
  bool tf32 = true;  // CUDA: float32 matmuls and convolutions on TF32 tensor cores, as OpenCLIP runs them
  int max_bad_steps = 5;           // consecutive non-finite losses before the run stops
  double dist_timeout = 1800;      // seconds a collective may wait for the other ranks
  bool gather_with_grad = true;    // false: gathered features carry no gradient (comparison only)
  double bucket_cap_mb = 25;       // gradient all-reduce bucket size (MiB), as PyTorch DDP's bucket_cap_mb

  // run folder, checkpoints, logging
  std::string logs = "runs";
  std::string name;                // empty: a name from the model and time
  std::string resume;              // "latest" or a checkpoint stem / weights path
  int save_frequency = 1;          // epochs between checkpoints
  int64_t save_every_steps = 0;    // also every N steps (0 = off)
  int keep_last = 2;
  int log_every = 10;              // steps between metrics lines

  // evaluation
  int val_frequency = 1;           // epochs
  std::string zeroshot_classes;    // file (one class per line) or comma list
  std::string zeroshot_templates = "small";

  void validate() const;  // usage_error naming the flag
};

}  // namespace clipforge

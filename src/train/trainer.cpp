#include "train/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <optional>

#include "core/error.h"
#include "core/files.h"
#include "data/loader.h"
#include "dist/device_choice.h"
#include "dist/environment.h"
#include "dist/gradient_sync.h"
#include "dist/process_group.h"
#include "eval/zeroshot.h"
#include "model/load.h"
#include "model/runtime.h"
#include "train/batch_tensors.h"
#include "train/checkpoint.h"
#include "train/contrastive_step.h"
#include "train/evaluate.h"
#include "train/loss_scaler.h"
#include "train/run_log.h"
#include "train/stop_signal.h"
#include "train/vocab_bootstrap.h"

namespace clipforge {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// How long the other ranks wait for work rank 0 does alone (vocabulary training, evaluation).
constexpr std::chrono::hours kRank0WorkTimeout{24};

std::string default_run_name(const std::string& model) {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y_%m_%d-%H_%M_%S", std::localtime(&now));
  return std::string(stamp) + "-model_" + fs::path(model).stem().string();
}

std::string format_duration(double seconds) {
  const long s = static_cast<long>(seconds);
  char out[32];
  std::snprintf(out, sizeof out, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return out;
}

nlohmann::json params_json(const TrainConfig& c, const std::string& vocab, const ModelConfig& model) {
  const char* schedules[] = {"cosine", "const", "const-cooldown"};
  const char* precisions[] = {"fp32", "bf16", "amp"};
  return {{"model", c.model}, {"model_config", model_config_to_json(model)}, {"pretrained", c.pretrained},
          {"train_data", c.train_data}, {"train_num_samples", c.train_num_samples}, {"val_data", c.val_data},
          {"vocab", vocab}, {"batch_size", c.batch_size}, {"epochs", c.epochs}, {"max_steps", c.max_steps},
          {"lr", c.optimizer.lr}, {"wd", c.optimizer.weight_decay}, {"beta1", c.optimizer.beta1},
          {"beta2", c.optimizer.beta2}, {"eps", c.optimizer.eps}, {"warmup", c.warmup},
          {"lr_scheduler", schedules[static_cast<int>(c.schedule)]}, {"epochs_cooldown", c.epochs_cooldown},
          {"lr_cooldown_power", c.lr_cooldown_power}, {"lr_cooldown_end", c.lr_cooldown_end},
          {"grad_clip_norm", c.grad_clip_norm}, {"accum_freq", c.accum_freq},
          {"precision", precisions[static_cast<int>(c.precision)]}, {"lock_image", c.lock_image},
          {"grad_checkpointing", c.grad_checkpointing}, {"seed", c.seed}, {"device", c.device}, {"tf32", c.tf32},
          {"workers", c.workers}, {"max_member_bytes", c.limits.max_member_bytes},
          {"max_caption_bytes", c.limits.max_caption_bytes}, {"pipe_timeout", c.limits.pipe_timeout_s},
          {"max_image_pixels", c.limits.max_image_pixels},
          {"csv_separator", c.csv.separator ? std::string(1, c.csv.separator) : ""}, {"csv_img_key", c.csv.image_key},
          {"csv_caption_key", c.csv.caption_key}, {"scale", {c.scale_min, c.scale_max}}, {"save_frequency", c.save_frequency},
          {"save_every_steps", c.save_every_steps}, {"keep_last", c.keep_last}, {"val_frequency", c.val_frequency},
          {"zeroshot_classes", c.zeroshot_classes}, {"zeroshot_templates", c.zeroshot_templates},
          {"dist_timeout", c.dist_timeout}, {"bucket_cap_mb", c.bucket_cap_mb}, {"runtime", runtime_description()}};
}

// Train mode for the trainable parts; a locked image tower stays in eval mode so its BatchNorm
// statistics stay frozen too (OpenCLIP's --lock-image).
void set_training(CLIP& model, bool lock_image) {
  model->train();
  if (lock_image) {
    if (model->visual_vit) model->visual_vit->eval();
    if (model->visual_resnet) model->visual_resnet->eval();
  }
}

class Trainer {
 public:
  explicit Trainer(const TrainConfig& c)
      : c_(c), env_(read_dist_environment()), device_(choose_training_device(c.device, env_, visible_cuda_devices())) {}

  nlohmann::json run();

 private:
  // setup() runs these in order.
  void setup();
  std::optional<std::string> join_job_and_open_run_folder();  // the checkpoint to resume, if any
  void load_model_and_vocabulary(bool resuming);
  void place_model();  // device, frozen tower, checkpointing, train mode
  void make_loaders();
  void read_zeroshot_inputs();
  void plan_schedule();
  void make_optimizer();  // and, distributed, rank 0's weights and the gradient sync
  void resume_from(const std::string& latest);

  bool train_one_step(int64_t epoch);  // false at the end of the epoch's data
  void save(int64_t epoch_of_next_batch);
  void maybe_evaluate(int64_t epoch, bool last);
  void evaluate_on_this_rank(int64_t epoch);
  void log_step(double loss, double lr, int64_t epoch);

  bool main_rank() const { return env_.rank == 0; }

  TrainConfig c_;
  DistEnvironment env_;
  c10::Device device_;
  std::unique_ptr<DistGroup> group_;
  std::unique_ptr<GradientSync> sync_;
  std::string run_dir_;
  ModelConfig config_;
  CLIP model_{nullptr};
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::unique_ptr<data::Loader> train_loader_, val_loader_;
  NamedOptimizer optimizer_;
  std::unique_ptr<CheckpointStore> store_;
  std::unique_ptr<RunLog> log_;
  std::unique_ptr<LossScaler> scaler_;
  EvalInputs eval_inputs_;
  ScheduleConfig schedule_;
  int64_t steps_per_epoch_ = 0;
  int64_t step_ = 0;
  int64_t start_epoch_ = 0;
  bool resumed_mid_epoch_ = false;
  bool stop_requested_ = false;  // SIGUSR1 reached a rank: checkpoint and stop after this step
  int64_t schedule_offset_ = 0;  // schedule step - step_; not 0 after a resume on another layout
  int64_t last_saved_step_ = -1;
  int64_t saves_ = 0;  // checkpoints written by this process: every rank counts the same
  int bad_steps_in_a_row_ = 0;
  int64_t nonfinite_steps_ = 0;
  // Seconds spent in training steps (data wait included; evaluation and checkpoints not) over the
  // whole run, resumes included: the figure a time-to-accuracy comparison needs.
  double train_seconds_ = 0;
  double last_loss_ = NAN;
  nlohmann::json last_eval_;
  // Throughput over the current logging interval.
  Clock::time_point interval_start_ = Clock::now();
  int64_t interval_samples_ = 0;
  double interval_data_s_ = 0, interval_compute_s_ = 0;
  // Distributed: the gradient all-reduce backward did not hide, and the feature all-gathers.
  double interval_comm_wait_s_ = 0, interval_gather_s_ = 0;
  Clock::time_point run_start_ = Clock::now();
};

void Trainer::setup() {
  torch::manual_seed(c_.seed);
  const std::optional<std::string> latest = join_job_and_open_run_folder();
  load_model_and_vocabulary(latest.has_value());
  place_model();
  make_loaders();
  read_zeroshot_inputs();
  plan_schedule();
  make_optimizer();
  if (latest) resume_from(*latest);
  // Without a checkpoint the run starts at step 0: lines of an attempt killed before its first
  // checkpoint are stale too.
  log_ = std::make_unique<RunLog>(run_dir_, latest ? step_ : 0, main_rank());
  log_->message("clipforge: run folder " + run_dir_ + "; data plan " + train_loader_->plan().dump());
  if (latest)
    log_->message("clipforge: resumed " + *latest + " (step " + std::to_string(step_) + ", epoch " +
                  std::to_string(start_epoch_) + ")");
}

std::optional<std::string> Trainer::join_job_and_open_run_folder() {
  if (env_.distributed()) {
    group_ = DistGroup::create(env_, std::chrono::milliseconds(static_cast<int64_t>(c_.dist_timeout * 1000)), device_);
    // Every rank must agree on the run folder: rank 0's name wins when none was given.
    if (c_.name.empty()) throw usage_error("distributed runs need --name (every rank writes to the same run folder)");
  }
  run_dir_ = c_.logs + "/" + (c_.name.empty() ? default_run_name(c_.model) : c_.name);
  fs::create_directories(run_dir_);
  if (main_rank()) remove_stale_temp_files(run_dir_);  // metrics or params writes a kill cut short
  store_ = std::make_unique<CheckpointStore>(run_dir_ + "/checkpoints", c_.keep_last);
  const std::optional<std::string> latest = c_.resume == "latest" ? store_->latest() : std::nullopt;
  if (!c_.resume.empty() && !latest) std::cerr << "clipforge: no checkpoint in " << run_dir_ << " yet: starting fresh\n";
  if (c_.resume.empty() && store_->latest())
    throw usage_error(run_dir_ + " already holds checkpoints: pass --resume latest or another --name");
  if (group_) group_->barrier();  // rank 0 checked the folder before anyone writes to it
  return latest;
}

void Trainer::load_model_and_vocabulary(bool resuming) {
  // A resumed run's weights come from its checkpoint, not --pretrained.
  LoadedModel loaded = load_model({c_.model, resuming ? "" : c_.pretrained});
  config_ = loaded.config;
  model_ = loaded.model;
  // Rank 0 prepares (or trains) the run's vocabulary; the others read what it wrote.
  std::string vocab;
  auto prepare_vocabulary = [&] {
    vocab = prepare_run_vocabulary(run_dir_, c_.vocab, c_.train_data, config_.text.vocab_size, c_.csv);
  };
  if (group_) group_->run_on_rank0("vocabulary", kRank0WorkTimeout, prepare_vocabulary);
  if (!group_ || !main_rank()) prepare_vocabulary();
  tokenizer_ = std::make_unique<text::Tokenizer>(text::Tokenizer::from_file(vocab));
  if (static_cast<int>(tokenizer_->vocabulary().size()) > config_.text.vocab_size)
    throw mismatch_error(vocab + ": " + std::to_string(tokenizer_->vocabulary().size()) +
                         " ids do not fit the model's vocab_size " + std::to_string(config_.text.vocab_size));
  if (main_rank()) write_file_atomic(run_dir_ + "/params.json", params_json(c_, vocab, config_).dump(2) + "\n");
}

void Trainer::place_model() {
  if (device_.is_cuda()) configure_cuda_math(c_.tf32);
  model_->to(device_);
  if (c_.lock_image)
    for (auto& p : (model_->visual_vit ? model_->visual_vit->parameters() : model_->visual_resnet->parameters()))
      p.requires_grad_(false);
  model_->set_grad_checkpointing(c_.grad_checkpointing);
  set_training(model_, c_.lock_image);
}

void Trainer::make_loaders() {
  data::LoaderConfig train_cfg;
  train_cfg.urls = c_.train_data;
  train_cfg.image_size = config_.vision.image_size;
  train_cfg.scale_min = c_.scale_min;
  train_cfg.scale_max = c_.scale_max;
  train_cfg.batch_size = c_.batch_size;
  train_cfg.workers = c_.workers;
  train_cfg.limits = c_.limits;
  train_cfg.csv = c_.csv;
  train_cfg.seed = c_.seed;
  train_cfg.num_samples = c_.train_num_samples;
  train_cfg.rank = env_.rank;
  train_cfg.world_size = env_.world_size;
  train_cfg.tokenizer = tokenizer_.get();
  train_cfg.context_length = config_.text.context_length;
  train_loader_ = std::make_unique<data::Loader>(train_cfg);
  if (c_.val_data.empty()) return;
  data::LoaderConfig val_cfg = train_cfg;
  val_cfg.urls = c_.val_data;
  val_cfg.train = false;
  val_cfg.shuffle_buffer = 0;
  val_cfg.drop_last = false;
  val_cfg.num_samples = 0;
  val_cfg.rank = 0;  // rank 0 evaluates the whole validation set alone
  val_cfg.world_size = 1;
  val_loader_ = std::make_unique<data::Loader>(val_cfg);
}

void Trainer::read_zeroshot_inputs() {
  if (c_.zeroshot_classes.empty()) return;
  eval_inputs_.classes = read_class_names(c_.zeroshot_classes);
  eval_inputs_.templates = resolve_templates(c_.zeroshot_templates);
  validate_zeroshot_inputs(eval_inputs_.classes, eval_inputs_.templates);
}

void Trainer::plan_schedule() {
  steps_per_epoch_ = train_loader_->batches_per_epoch() / c_.accum_freq;
  if (steps_per_epoch_ < 1)
    throw usage_error("--train-data holds fewer than batch-size x accum-freq samples: no full step per epoch");
  schedule_.kind = c_.schedule;
  schedule_.base_lr = c_.optimizer.lr;
  schedule_.warmup_steps = c_.warmup;
  schedule_.total_steps = steps_per_epoch_ * c_.epochs;
  schedule_.cooldown_steps = static_cast<int64_t>(c_.epochs_cooldown * steps_per_epoch_);
  schedule_.cooldown_power = c_.lr_cooldown_power;
  schedule_.cooldown_end_lr = c_.lr_cooldown_end;
}

void Trainer::make_optimizer() {
  optimizer_ = make_adamw(*model_, c_.optimizer);
  if (group_) {
    group_->broadcast_from_rank0(*model_);
    BucketSizes buckets;
    buckets.bytes = static_cast<int64_t>(c_.bucket_cap_mb * (1 << 20));
    buckets.first_bytes = std::min(buckets.first_bytes, buckets.bytes);
    sync_ = std::make_unique<GradientSync>(*group_, optimizer_.parameters, buckets);
  }
  scaler_ = std::make_unique<LossScaler>(c_.precision == Precision::kAmp);
}

void Trainer::resume_from(const std::string& latest) {
  TrainingState state = store_->load(latest, model_, optimizer_);
  step_ = state.step;
  start_epoch_ = state.epoch;
  last_saved_step_ = step_;
  scaler_->restore(state.extra.value("scaler", nlohmann::json()));
  nonfinite_steps_ = state.extra.value("nonfinite_steps", int64_t{0});
  train_seconds_ = state.extra.value("train_s", 0.0);
  // One position per rank (checkpoints of earlier versions: rank 0's alone, an object), all in
  // the same epoch: the first tells whether this is mid-epoch.
  const nlohmann::json ranks = state.loader.is_array() ? state.loader : nlohmann::json::array({state.loader});
  if (!ranks.empty() && ranks.at(0).is_object() && ranks.at(0).value("epoch", -1) == start_epoch_) {
    std::vector<data::LoaderState> positions;
    try {
      for (const nlohmann::json& rank : ranks) positions.push_back(data::LoaderState::from_json(rank));
    } catch (const Error& e) {
      throw input_error(store_->directory() + "/" + latest + ": " + e.what());
    }
    train_loader_->restore(positions);
    resumed_mid_epoch_ = true;
  }
  // The schedule's position follows the data, not the step count: on another layout (world size,
  // batch size) an epoch has another number of steps, and the rest of this one ends where the
  // schedule of this layout ends the epoch.
  const int64_t steps_left = resumed_mid_epoch_ ? train_loader_->batches_left() / c_.accum_freq : steps_per_epoch_;
  schedule_offset_ = (start_epoch_ + 1) * steps_per_epoch_ - steps_left - step_;
}

bool Trainer::train_one_step(int64_t epoch) {
  auto data_start = Clock::now();
  std::vector<torch::Tensor> images, tokens;
  int64_t samples = 0;
  for (int k = 0; k < c_.accum_freq; ++k) {
    auto batch = train_loader_->next();
    if (!batch) return false;  // an incomplete accumulation group at the end of an epoch is dropped
    BatchTensors t = to_tensors(*batch, config_.vision.image_size, config_.text.context_length, device_);
    images.push_back(t.images);
    tokens.push_back(t.tokens);
    samples += batch->size;
  }
  auto compute_start = Clock::now();
  const double lr = learning_rate_at(schedule_, std::max<int64_t>(0, step_ + schedule_offset_));
  set_learning_rate(*optimizer_.optimizer, lr);
  optimizer_.optimizer->zero_grad();
  const double gather_s_before = group_ ? group_->feature_exchange_seconds() : 0.0;
  double loss = contrastive_backward(model_, images, tokens, c_.precision, scaler_->scale(),
                                     {group_.get(), sync_.get(), c_.gather_with_grad});
  if (group_) {
    sync_->finish();
    interval_comm_wait_s_ += sync_->last_wait_seconds();
    interval_gather_s_ += group_->feature_exchange_seconds() - gather_s_before;
    // The mean of the ranks' losses is the global batch's loss; a non-finite one anywhere makes
    // it non-finite everywhere, so every rank takes the same branch below. A stop signal that
    // reached any rank rides along, so all stop after the same step.
    const std::vector<double> sums = group_->all_reduce_sum({loss, stop_signal_received() ? 1.0 : 0.0});
    loss = sums[0] / env_.world_size;
    stop_requested_ = sums[1] > 0;
  } else {
    stop_requested_ = stop_signal_received();
  }
  if (!std::isfinite(loss)) {
    ++nonfinite_steps_;
    optimizer_.optimizer->zero_grad();
    log_->message("clipforge: warning: non-finite loss at step " + std::to_string(step_) + ": step skipped");
    if (++bad_steps_in_a_row_ >= c_.max_bad_steps) {
      const auto latest = store_->latest();
      throw runtime_error(std::to_string(bad_steps_in_a_row_) + " non-finite losses in a row at step " +
                          std::to_string(step_) + ": stopping (last good checkpoint: " +
                          (latest ? store_->weights_path(*latest) : std::string("none")) +
                          "); try a lower --lr or --precision fp32");
    }
    return true;
  }
  bad_steps_in_a_row_ = 0;
  if (scaler_->unscale_and_check(optimizer_.parameters)) {
    if (c_.grad_clip_norm > 0) torch::nn::utils::clip_grad_norm_(optimizer_.parameters, c_.grad_clip_norm);
    adamw_step(optimizer_);
    scaler_->step_taken();
  }
  {
    // OpenCLIP's clamp: a temperature below 1/100 makes the logits explode.
    torch::NoGradGuard no_grad;
    model_->logit_scale.clamp_(0, std::log(100.0));
  }
  ++step_;
  last_loss_ = loss;
  interval_samples_ += samples * env_.world_size;
  const auto step_end = Clock::now();
  interval_data_s_ += std::chrono::duration<double>(compute_start - data_start).count();
  interval_compute_s_ += std::chrono::duration<double>(step_end - compute_start).count();
  train_seconds_ += std::chrono::duration<double>(step_end - data_start).count();
  if (step_ % c_.log_every == 0) log_step(loss, lr, epoch);
  if (c_.save_every_steps > 0 && step_ % c_.save_every_steps == 0) save(epoch);
  return true;
}

void Trainer::log_step(double loss, double lr, int64_t epoch) {
  const double seconds = std::chrono::duration<double>(Clock::now() - interval_start_).count();
  const double rate = interval_samples_ / std::max(seconds, 1e-9);
  const double scale = model_->logit_scale.item<double>();
  const int64_t run_steps = schedule_.total_steps - schedule_offset_;
  const int64_t total = c_.max_steps > 0 ? std::min(c_.max_steps, run_steps) : run_steps;
  const double eta = (total - step_) * (interval_samples_ / std::max<int64_t>(1, c_.log_every)) / std::max(rate, 1e-9);
  log_->metrics({{"step", step_}, {"epoch", epoch}, {"loss", loss}, {"lr", lr}, {"logit_scale", scale},
                 {"comm_wait_s", interval_comm_wait_s_}, {"gather_s", interval_gather_s_},
                 {"temperature", std::exp(-scale)}, {"samples_per_s", rate}, {"data_s", interval_data_s_},
                 {"compute_s", interval_compute_s_}, {"skipped", train_loader_->skipped()},
                 {"nonfinite_steps", nonfinite_steps_}, {"train_s", train_seconds_},
                 {"elapsed_s", std::chrono::duration<double>(Clock::now() - run_start_).count()}});
  char line[256];
  std::snprintf(line, sizeof line, "epoch %lld/%d step %lld/%lld loss %.4f lr %.2e T %.4f %.1f samples/s (data %.0f%%) eta %s",
                static_cast<long long>(epoch + 1), c_.epochs, static_cast<long long>(step_), static_cast<long long>(total),
                loss, lr, std::exp(-scale), rate, 100.0 * interval_data_s_ / std::max(seconds, 1e-9),
                format_duration(eta).c_str());
  log_->progress(line);
  interval_start_ = Clock::now();
  interval_samples_ = 0;
  interval_data_s_ = interval_compute_s_ = interval_comm_wait_s_ = interval_gather_s_ = 0;
}

void Trainer::save(int64_t epoch_of_next_batch) {
  last_saved_step_ = step_;
  // Parameters are identical on every rank, data positions are not: rank 0 writes one checkpoint
  // holding every rank's loader state, so each rank resumes its own stream exactly.
  const std::string position = train_loader_->state().to_json().dump();
  const std::vector<std::string> positions =
      group_ ? group_->gather_to_rank0("loader/" + std::to_string(saves_++), position) : std::vector<std::string>{position};
  if (!main_rank()) return;
  TrainingState state;
  state.step = step_;
  state.epoch = epoch_of_next_batch;
  state.loader = nlohmann::json::array();
  for (const std::string& p : positions) state.loader.push_back(nlohmann::json::parse(p));
  state.extra = {{"scaler", scaler_->state()}, {"nonfinite_steps", nonfinite_steps_}, {"train_s", train_seconds_}};
  store_->save(model_, optimizer_, state);
}

void Trainer::maybe_evaluate(int64_t epoch, bool last) {
  if (!val_loader_ || !(last || (epoch + 1) % c_.val_frequency == 0)) return;
  if (group_) {
    // The other ranks wait for rank 0's evaluation however long it takes (up to a day), not
    // --dist-timeout, so they do not time out in the next epoch's first collective.
    group_->run_on_rank0("evaluation after epoch " + std::to_string(epoch + 1), kRank0WorkTimeout,
                         [&] { evaluate_on_this_rank(epoch); });
  } else {
    evaluate_on_this_rank(epoch);
  }
}

void Trainer::evaluate_on_this_rank(int64_t epoch) {
  const auto start = Clock::now();
  last_eval_ = evaluate(model_, *val_loader_, *tokenizer_, eval_inputs_, device_);
  set_training(model_, c_.lock_image);
  log_->metrics({{"step", step_}, {"epoch", epoch + 1}, {"train_s", train_seconds_}, {"eval", last_eval_},
                 {"eval_s", std::chrono::duration<double>(Clock::now() - start).count()}});
  std::string text = "clipforge: eval after epoch " + std::to_string(epoch + 1) + " (" + format_duration(train_seconds_) +
                     " of training): val_loss " +
                     std::to_string(last_eval_.value("val_loss", NAN));
  if (last_eval_.contains("zeroshot"))
    text += ", zero-shot top-1 " + std::to_string(last_eval_["zeroshot"]["top1"].get<double>());
  log_->message(text);
}

nlohmann::json Trainer::run() {
  watch_stop_signal();
  setup();
  bool stopped_early = false;
  for (int64_t epoch = start_epoch_; epoch < c_.epochs && !stopped_early; ++epoch) {
    if (!(resumed_mid_epoch_ && epoch == start_epoch_)) train_loader_->start_epoch(static_cast<int>(epoch));
    while (true) {
      if ((c_.max_steps > 0 && step_ >= c_.max_steps) || stop_requested_) {
        stopped_early = true;
        break;
      }
      if (!train_one_step(epoch)) break;
    }
    if (stopped_early) break;
    const bool last = epoch + 1 == c_.epochs;
    if (last || (c_.save_frequency > 0 && (epoch + 1) % c_.save_frequency == 0)) save(epoch + 1);
    maybe_evaluate(epoch, last);
  }
  if (last_saved_step_ != step_) {
    const data::LoaderState position = train_loader_->state();
    save(position.epoch);
  }
  const auto latest = store_->latest();
  if (stop_requested_) {
    log_->message("clipforge: SIGUSR1: stopped after step " + std::to_string(step_) + " with checkpoint " +
                  (latest ? *latest : std::string("none")) + "; run again with --resume latest to continue");
  }
  return {{"run", run_dir_}, {"steps", step_}, {"final_loss", last_loss_}, {"eval", last_eval_},
          {"weights", latest ? store_->weights_path(*latest) : ""}, {"nonfinite_steps", nonfinite_steps_},
          {"skipped", train_loader_->skipped()}, {"stopped_by_signal", stop_requested_}};
}

}  // namespace

nlohmann::json train(const TrainConfig& config) {
  config.validate();
  return Trainer(config).run();
}

}  // namespace clipforge

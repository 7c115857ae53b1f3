#include "serve/service.h"

#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "core/machine_info.h"
#include "core/npy.h"
#include "data/image_header.h"
#include "data/preprocess.h"
#include "eval/clip_score.h"
#include "eval/rerank.h"
#include "eval/search.h"
#include "eval/zeroshot.h"
#include "model/config.h"

namespace clipforge::serve {

namespace {

Reply json_reply(const nlohmann::json& value) { return {to_json_text(value), "application/json"}; }

nlohmann::json rows_of(const torch::Tensor& features) {
  const torch::Tensor values = features.to(torch::kFloat).contiguous();
  const int64_t dim = values.size(1);
  const float* data = values.data_ptr<float>();
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t i = 0; i < values.size(0); ++i) rows.push_back(std::vector<float>(data + i * dim, data + (i + 1) * dim));
  return rows;
}

std::vector<nlohmann::json> request_indices(size_t n) {
  std::vector<nlohmann::json> names;
  for (size_t i = 0; i < n; ++i) names.emplace_back(i);
  return names;
}

}  // namespace

torch::Tensor await_rows(std::future<torch::Tensor>& rows, Clock::time_point deadline) {
  if (rows.wait_until(deadline) == std::future_status::timeout)
    throw RequestError(504, "the request's deadline passed before the model answered (--deadline-ms)");
  try {
    return rows.get();
  } catch (const DeadlineExceeded& e) {
    throw RequestError(504, e.what() + std::string(" (--deadline-ms)"));
  }
}

Service::Service(const ServeOptions& options, Metrics& metrics)
    : options_(options), encoder_(options.encoder), decoders_(options.decode_threads > 0 ? options.decode_threads : hardware_cores()) {
  encoder_.tokenizer();  // loaded now: afterwards the tokenizer is shared read-only
  logit_scale_ = encoder_.logit_scale();
  if (!options.index.empty()) {
    index_.emplace(VectorIndex::load(options.index));
    if (index_->dim() != encoder_.loaded().config.embed_dim)
      throw mismatch_error(options.index + ": index holds " + std::to_string(index_->dim()) + "-d embeddings but the model's are " +
                           std::to_string(encoder_.loaded().config.embed_dim) + "-d (another model?)");
  }
  BatcherOptions batching;
  batching.max_batch = options.max_batch;
  batching.max_wait = std::chrono::milliseconds(options.max_wait_ms);
  batching.max_queue_rows = options.max_queue;
  batcher_ = std::make_unique<Batcher>(
      batching,
      [this](Tower tower, const torch::Tensor& inputs) {
        return tower == Tower::kImage ? encoder_.encode_pixels(inputs) : encoder_.encode_tokens(inputs);
      },
      [&metrics](Tower tower, int64_t rows) { metrics.batch_done(tower == Tower::kImage ? "image" : "text", rows); });
}

Service::~Service() = default;

nlohmann::json Service::describe() const {
  const ModelConfig& config = encoder_.loaded().config;
  nlohmann::json info = {{"model", options_.encoder.model},
                         {"weights", std::filesystem::path(options_.encoder.weights).filename().string()},
                         {"embed_dim", config.embed_dim},
                         {"image_size", config.vision.image_size},
                         {"context_length", config.text.context_length},
                         {"device", options_.encoder.device},
                         {"precision", options_.encoder.precision},
                         {"max_batch", options_.max_batch}};
  if (index_) info["index_rows"] = index_->size();
  return info;
}

torch::Tensor Service::images_to_pixels(const std::vector<std::string>& images, const std::string& field) {
  const int size = encoder_.image_size();
  const std::uint64_t max_pixels = options_.encoder.max_image_pixels;
  const int64_t plane = 3LL * size * size;
  torch::Tensor pixels = torch::empty({static_cast<int64_t>(images.size()), 3, size, size}, torch::kFloat);
  float* out = pixels.data_ptr<float>();
  // Every size is checked before any task starts: the tasks write into `pixels` and read
  // `images`, so none may still run when a refusal leaves this frame.
  for (size_t i = 0; i < images.size(); ++i)
    if (const auto stated = data::header_size(images[i]); stated && max_pixels > 0 && stated->pixels() > max_pixels)
      throw RequestError(413, field + "[" + std::to_string(i) + "]: " + std::to_string(stated->width) + "x" +
                                  std::to_string(stated->height) + " pixels, over the limit of " + std::to_string(max_pixels) +
                                  " (--max-image-pixels)");
  std::vector<std::future<void>> done;
  for (size_t i = 0; i < images.size(); ++i)
    done.push_back(decoders_.submit([&, i] {
      const data::Preprocessed p = data::preprocess_bytes(images[i], field + "[" + std::to_string(i) + "]", size, max_pixels);
      std::copy(p.tensor.begin(), p.tensor.end(), out + static_cast<int64_t>(i) * plane);
    }));
  // All must end before this frame does, failed or not.
  std::string failure;
  for (auto& task : done) {
    try {
      task.get();
    } catch (const std::exception& e) {
      if (failure.empty()) failure = e.what();
    }
  }
  if (!failure.empty()) throw RequestError(400, failure);
  return pixels;
}

std::future<torch::Tensor> Service::submit_images(const std::vector<std::string>& images, const std::string& field,
                                                  Clock::time_point deadline) {
  return batcher_->submit(Tower::kImage, images_to_pixels(images, field), deadline);
}

std::future<torch::Tensor> Service::submit_texts(const std::vector<std::string>& texts, Clock::time_point deadline) {
  return batcher_->submit(Tower::kText, encoder_.tokenize(texts), deadline);
}

Reply Service::embed(const EmbedRequest& request, Clock::time_point deadline) {
  std::future<torch::Tensor> images, texts;
  if (!request.images.empty()) images = submit_images(request.images, "images", deadline);
  if (!request.texts.empty()) texts = submit_texts(request.texts, deadline);
  const torch::Tensor image_rows = images.valid() ? await_rows(images, deadline) : torch::Tensor();
  const torch::Tensor text_rows = texts.valid() ? await_rows(texts, deadline) : torch::Tensor();
  if (request.npy) {
    const torch::Tensor rows = (image_rows.defined() ? image_rows : text_rows).to(torch::kFloat).contiguous();
    return {npy::serialize(npy::Dtype::kFloat32, {rows.size(0), rows.size(1)}, rows.data_ptr<float>()), "application/x-npy"};
  }
  nlohmann::json answer = {{"dim", encoder_.loaded().config.embed_dim}};
  if (image_rows.defined()) answer["image_embeddings"] = rows_of(image_rows);
  if (text_rows.defined()) answer["text_embeddings"] = rows_of(text_rows);
  return json_reply(answer);
}

Reply Service::score(const ScoreRequest& request, Clock::time_point deadline) {
  auto images = submit_images(request.images, "pairs.image", deadline);
  auto texts = submit_texts(request.captions, deadline);
  const torch::Tensor image_rows = await_rows(images, deadline), text_rows = await_rows(texts, deadline);
  const torch::Tensor cosines = pair_cosines(image_rows, text_rows);
  const double* cosine = cosines.data_ptr<double>();
  nlohmann::json pairs = nlohmann::json::array();
  double clamped = 0;
  for (size_t i = 0; i < request.captions.size(); ++i) {
    pairs.push_back(pair_score(i, request.captions[i], cosine[i]));
    clamped += cosine[i] > 0 ? cosine[i] : 0.0;
  }
  const int64_t n = static_cast<int64_t>(request.captions.size());
  return json_reply({{"pairs", pairs}, {"mean", mean_score(clamped, n, 0)}});
}

Reply Service::rerank(const RerankRequest& request, Clock::time_point deadline) {
  auto images = submit_images(request.images, "images", deadline);
  auto prompt = submit_texts({request.prompt}, deadline);
  const torch::Tensor image_rows = await_rows(images, deadline), text_row = await_rows(prompt, deadline)[0];
  const torch::Tensor cosines = image_rows.matmul(text_row);
  return json_reply(
      {{"prompt", request.prompt}, {"ranking", ranking_of(cosines, request_indices(request.images.size()), request.top_k)}});
}

Service::Classifier Service::find_classifier(const ZeroshotRequest& request) {
  Classifier found;
  if (request.classifier.empty()) {
    found.templates = request.templates;
    if (found.templates.empty()) {
      if (request.template_set != "general" && request.template_set != "small")
        throw RequestError(400, "templates: '" + request.template_set + "' is neither a built-in set (general, small) nor a template with {}");
      found.templates = builtin_templates(request.template_set);
    }
    validate_zeroshot_inputs(request.classes, found.templates);
    if (request.classes.size() * found.templates.size() > static_cast<size_t>(options_.limits.max_texts))
      throw RequestError(413, "classes x templates: " + std::to_string(request.classes.size() * found.templates.size()) +
                                  " prompts, over the limit of " + std::to_string(options_.limits.max_texts) + " (--max-texts)");
    found.key = encoder_.classifier_key(request.classes, found.templates);
    found.classes = request.classes;
  } else {
    found.key = request.classifier;
  }
  std::lock_guard<std::mutex> lock(classifiers_mutex_);
  for (auto it = classifiers_.begin(); it != classifiers_.end(); ++it)
    if (it->key == found.key) {
      classifiers_.splice(classifiers_.begin(), classifiers_, it);
      found.classes = it->classes;
      found.weights = it->weights;
      return found;
    }
  if (!request.classifier.empty())
    throw RequestError(404, "classifier '" + found.key + "' is not cached here (any more): send classes and templates");
  return found;
}

torch::Tensor Service::compute_classifier(const Classifier& found, Clock::time_point deadline) {
  auto prompts = submit_texts(zeroshot_prompts(found.classes, found.templates), deadline);
  const torch::Tensor features = await_rows(prompts, deadline);
  const int64_t per_class = static_cast<int64_t>(found.templates.size());
  std::vector<torch::Tensor> rows;
  for (size_t c = 0; c < found.classes.size(); ++c)
    rows.push_back(ensemble_prompts({features.narrow(0, static_cast<int64_t>(c) * per_class, per_class)}, per_class));
  const torch::Tensor weights = torch::stack(rows);
  std::lock_guard<std::mutex> lock(classifiers_mutex_);
  // Two requests may have computed the same classifier at once: keep one entry.
  for (const auto& cached : classifiers_)
    if (cached.key == found.key) return weights;
  classifiers_.push_front({found.key, found.classes, weights});
  while (classifiers_.size() > static_cast<size_t>(std::max(1, options_.classifier_cache))) classifiers_.pop_back();
  return weights;
}

Reply Service::zeroshot(const ZeroshotRequest& request, Clock::time_point deadline) {
  // Everything that can refuse the request is checked before the image tower is asked to run.
  const Classifier found = find_classifier(request);
  auto images = submit_images(request.images, "images", deadline);
  const torch::Tensor classifier = found.weights.defined() ? found.weights : compute_classifier(found, deadline);
  const torch::Tensor logits = logit_scale_ * await_rows(images, deadline).matmul(classifier.t());
  const nlohmann::json predictions = top_predictions(logits, found.classes, request.top_k);
  nlohmann::json results = nlohmann::json::array();
  for (size_t i = 0; i < request.images.size(); ++i) results.push_back({{"image", i}, {"predictions", predictions[i]}});
  return json_reply({{"classifier", found.key}, {"results", results}});
}

Reply Service::search(const SearchRequest& request, Clock::time_point deadline) {
  if (!index_) throw RequestError(404, "no index loaded: start the server with --index DIR");
  torch::Tensor query;
  std::string name;
  switch (request.source) {
    case SearchRequest::Source::kVector:
      if (static_cast<int64_t>(request.vector.size()) != index_->dim())
        throw RequestError(400, "vector: " + std::to_string(request.vector.size()) + " numbers, but the index holds " +
                                    std::to_string(index_->dim()) + "-d embeddings");
      query = torch::tensor(request.vector);
      name = "vector";
      break;
    case SearchRequest::Source::kText: {
      auto rows = submit_texts({request.text}, deadline);
      query = await_rows(rows, deadline)[0];
      name = request.text;
      break;
    }
    case SearchRequest::Source::kImage: {
      auto rows = submit_images({request.image}, "image", deadline);
      query = await_rows(rows, deadline)[0];
      name = "image";
      break;
    }
  }
  query = query.to(torch::kFloat).contiguous();
  // FAISS's CPU indexes answer concurrent searches (its documentation's thread-safety notes).
  const Neighbours hits = index_->search(query.data_ptr<float>(), 1, request.k);
  return json_reply({{"query", name}, {"results", search_results(hits, 0, *index_)}});
}

}  // namespace clipforge::serve

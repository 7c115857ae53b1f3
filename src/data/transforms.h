// The two image transforms of CLIP training, from decoded RGB to a square uint8 CHW crop
// (the mean/std normalisation is separate: pixel_normalize.h):
// - eval: the reference pipeline, bit-exact: shorter side to `size` with PIL bicubic (long side
//   truncated), centre crop with round-half-to-even offsets;
// - train: torchvision's RandomResizedCrop (area scale range, aspect ratio 3/4..4/3, ten tries
//   then a centre crop), resized with PIL's antialiased bicubic kernel in a vectorisable pass
//   order: speed over bit-parity here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <random>

namespace clipforge::data {

// Writes 3 x size x size bytes (RGB planes) to `out`. `rgb`: CV_8UC3.
void eval_transform(const cv::Mat& rgb, int size, std::uint8_t* out);

// The eval transform and CLIP's normalisation as Hugging Face's CLIPImageProcessor config
// (preprocessor_config.json): resize the short side to `size` (bicubic), centre crop, scale, normalise.
nlohmann::json hf_image_processor_config(int size);

// The crop rectangle the train transform takes, drawn as RandomResizedCrop draws it.
cv::Rect random_resized_crop(int width, int height, double scale_min, double scale_max, std::mt19937_64& rng);

void train_transform(const cv::Mat& rgb, int size, double scale_min, double scale_max, std::mt19937_64& rng,
                     std::uint8_t* out);

// The resized size of the eval transform's first step: shorter side `size`, long side truncated.
cv::Size eval_resized_size(int width, int height, int size);

// HWC RGB (CV_8UC3) -> CHW planes.
void to_chw(const cv::Mat& rgb, std::uint8_t* out);

}  // namespace clipforge::data

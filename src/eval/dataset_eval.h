// `clipforge eval zeroshot|retrieval`: benchmark figures of a model on a labelled image folder
// or on WebDataset shards / a CSV of image-caption pairs.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "data/csv_table.h"
#include "eval/encoder_options.h"

namespace clipforge {

struct DatasetEvalOptions {
  EncoderOptions encoder;
  std::string data;                  // image folder (a subfolder per class) or shard URLs / .csv
  std::string classes;               // zero-shot: file or comma list
  std::string templates = "general";
  int workers = 0;                   // shard decoding threads (0 = one per core)
  data::CsvOptions csv;              // separator and columns of a .csv `data`
};

// Top-1/top-5, per-class accuracy and the confusion matrix (zeroshot.h). In a folder, images of
// class c are those under DIR/<c> (or DIR/<c with spaces as _>); in shards, the json member's
// "label" is a class index or name. Samples without a label are counted and left out.
nlohmann::json evaluate_zeroshot(const DatasetEvalOptions& options, std::ostream& log);

// Image-to-text and text-to-image recall@1/5/10 over all pairs of the data.
nlohmann::json evaluate_retrieval(const DatasetEvalOptions& options, std::ostream& log);

}  // namespace clipforge

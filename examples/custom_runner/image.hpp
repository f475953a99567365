// The /predict input: one 28x28 grey image, as 784 raw bytes (row by row, 0 = black, 255 =
// white) or as a PGM file (binary "P5" or ASCII "P2", 28x28, any maxval up to 255).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace custom_runner {

/// The image's pixels scaled to [0, 1]; on failure, empty with `error` set to the reason.
std::vector<float> decode_image(std::string_view body, std::string* error);

/// A synthetic 28x28 "digit" (a few strokes; `variant` picks which), as 784 raw bytes.
std::string synthetic_digit(unsigned variant);

}  // namespace custom_runner

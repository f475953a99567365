// A tiny MNIST-shaped classifier: 28x28 grey pixels in, 10 class scores out, through two dense
// layers (784 -> 512, ReLU, 512 -> 10). The weights are generated deterministically at start
// (Xavier-uniform from a fixed seed): the predictions mean nothing, but the forward pass is real
// arithmetic, about 400,000 multiply-adds an image, so its time grows with the batch size.
// Thread-safety: predict() is const and may run on several threads at once.
#pragma once

#include <cstdint>
#include <vector>

namespace custom_runner {

class MnistClassifier {
 public:
  static constexpr int kSide = 28;
  static constexpr int kPixels = kSide * kSide;
  static constexpr int kHidden = 512;
  static constexpr int kClasses = 10;

  explicit MnistClassifier(std::uint32_t seed = 20230601);

  /// `images` holds `batch` images of kPixels values in [0, 1], one after another. Returns the
  /// most likely class of each.
  [[nodiscard]] std::vector<int> predict(const std::vector<float>& images, int batch) const;

 private:
  std::vector<float> hidden_weights_;  // kHidden rows of kPixels
  std::vector<float> hidden_bias_;
  std::vector<float> output_weights_;  // kClasses rows of kHidden
  std::vector<float> output_bias_;
};

}  // namespace custom_runner

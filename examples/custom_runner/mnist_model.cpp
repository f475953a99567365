#include "mnist_model.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace custom_runner {

namespace {

std::vector<float> xavier(std::mt19937& random, int rows, int columns) {
  const float limit = std::sqrt(6.0f / static_cast<float>(rows + columns));
  std::uniform_real_distribution<float> uniform(-limit, limit);
  std::vector<float> weights(static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns));
  for (float& weight : weights) weight = uniform(random);
  return weights;
}

float dot(const float* a, const float* b, int size) {
  float sum = 0;
  for (int i = 0; i < size; ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace

MnistClassifier::MnistClassifier(std::uint32_t seed) {
  std::mt19937 random(seed);
  hidden_weights_ = xavier(random, kHidden, kPixels);
  hidden_bias_.assign(kHidden, 0.01f);
  output_weights_ = xavier(random, kClasses, kHidden);
  output_bias_.assign(kClasses, 0.0f);
}

std::vector<int> MnistClassifier::predict(const std::vector<float>& images, int batch) const {
  if (batch < 0 || images.size() != static_cast<std::size_t>(batch) * kPixels) {
    throw std::invalid_argument("MnistClassifier: images must hold batch x 784 values");
  }
  std::vector<int> classes(static_cast<std::size_t>(batch));
  std::vector<float> hidden(kHidden);
  for (int image = 0; image < batch; ++image) {
    const float* pixels = images.data() + static_cast<std::size_t>(image) * kPixels;
    for (int unit = 0; unit < kHidden; ++unit) {
      const float* row = hidden_weights_.data() + static_cast<std::size_t>(unit) * kPixels;
      hidden[static_cast<std::size_t>(unit)] =
          std::max(0.0f, dot(row, pixels, kPixels) + hidden_bias_[static_cast<std::size_t>(unit)]);
    }
    int best = 0;
    float best_score = -INFINITY;
    for (int label = 0; label < kClasses; ++label) {
      const float* row = output_weights_.data() + static_cast<std::size_t>(label) * kHidden;
      const float score =
          dot(row, hidden.data(), kHidden) + output_bias_[static_cast<std::size_t>(label)];
      if (score > best_score) {
        best_score = score;
        best = label;
      }
    }
    classes[static_cast<std::size_t>(image)] = best;
  }
  return classes;
}

}  // namespace custom_runner

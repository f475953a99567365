#include "image.hpp"

#include <cctype>
#include <cstdlib>
#include <random>

#include "mnist_model.hpp"

namespace custom_runner {

namespace {

constexpr int kSide = MnistClassifier::kSide;
constexpr std::size_t kPixels = MnistClassifier::kPixels;

/// Reads the next PGM header number (skipping white space and # comments); -1 if none.
long next_number(std::string_view body, std::size_t* at) {
  while (*at < body.size()) {
    const char c = body[*at];
    if (c == '#') {
      while (*at < body.size() && body[*at] != '\n') ++*at;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++*at;
    } else {
      break;
    }
  }
  long value = 0;
  std::size_t digits = 0;
  while (*at < body.size() && std::isdigit(static_cast<unsigned char>(body[*at])) && digits < 6) {
    value = value * 10 + (body[*at] - '0');
    ++*at;
    ++digits;
  }
  return digits == 0 ? -1 : value;
}

std::vector<float> decode_pgm(std::string_view body, std::string* error) {
  const bool ascii = body[1] == '2';
  std::size_t at = 2;
  const long width = next_number(body, &at);
  const long height = next_number(body, &at);
  const long maxval = next_number(body, &at);
  if (width != kSide || height != kSide) {
    *error = "the PGM image must be 28x28";
    return {};
  }
  if (maxval < 1 || maxval > 255) {
    *error = "the PGM maxval must be 1..255";
    return {};
  }
  std::vector<float> pixels(kPixels);
  if (ascii) {
    for (float& pixel : pixels) {
      const long value = next_number(body, &at);
      if (value < 0 || value > maxval) {
        *error = "the P2 image has too few or out-of-range pixel values";
        return {};
      }
      pixel = static_cast<float>(value) / static_cast<float>(maxval);
    }
    return pixels;
  }
  ++at;  // the single white space character after maxval
  if (body.size() < at || body.size() - at != kPixels) {
    *error = "the P5 image must have exactly 784 pixel bytes";
    return {};
  }
  for (std::size_t i = 0; i < kPixels; ++i) {
    pixels[i] =
        static_cast<float>(static_cast<unsigned char>(body[at + i])) / static_cast<float>(maxval);
  }
  return pixels;
}

}  // namespace

std::vector<float> decode_image(std::string_view body, std::string* error) {
  if (body.size() >= 2 && body[0] == 'P' && (body[1] == '5' || body[1] == '2') &&
      body.size() != kPixels) {
    return decode_pgm(body, error);
  }
  if (body.size() != kPixels) {
    *error = "expected 784 raw bytes (28x28) or a 28x28 PGM image, got " +
             std::to_string(body.size()) + " bytes";
    return {};
  }
  std::vector<float> pixels(kPixels);
  for (std::size_t i = 0; i < kPixels; ++i) {
    pixels[i] = static_cast<float>(static_cast<unsigned char>(body[i])) / 255.0f;
  }
  return pixels;
}

std::string synthetic_digit(unsigned variant) {
  std::string pixels(kPixels, '\0');
  std::mt19937 random(variant);
  std::uniform_int_distribution<int> coordinate(4, kSide - 5);
  for (int stroke = 0; stroke < 3; ++stroke) {
    int x = coordinate(random), y = coordinate(random);
    const int dx = static_cast<int>(random() % 3) - 1, dy = static_cast<int>(random() % 3) - 1;
    for (int step = 0; step < 14; ++step) {
      if (x >= 0 && x < kSide && y >= 0 && y < kSide) {
        pixels[static_cast<std::size_t>(y * kSide + x)] = static_cast<char>(255);
      }
      x += dx == 0 && dy == 0 ? 1 : dx;
      y += dy;
    }
  }
  return pixels;
}

}  // namespace custom_runner

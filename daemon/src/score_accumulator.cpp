#include "fairwatch/daemon/score_accumulator.h"

#include <boost/accumulators/accumulators.hpp>
#include <boost/accumulators/statistics/count.hpp>
#include <boost/accumulators/statistics/extended_p_square.hpp>
#include <boost/accumulators/statistics/mean.hpp>
#include <boost/accumulators/statistics/stats.hpp>
#include <boost/accumulators/statistics/variance.hpp>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <vector>

#include "fairwatch/detectors/state_codec.h"

namespace fairwatch::daemon {

namespace acc = boost::accumulators;

namespace {

template <typename T>
inline constexpr bool kIsDoubleVector = std::is_same_v<T, std::vector<double>>;

// The two archives Boost.Accumulators' `serialize(Archive&, unsigned)` members
// are driven with (in place of Boost.Serialization): `ar & x` for the types
// those members use, namely unsigned integers (counts), doubles and
// std::vector<double> (the P² arrays).
class SaveArchive {
 public:
  explicit SaveArchive(detectors::StateWriter& writer) : writer_(writer) {}

  template <typename T>
  SaveArchive& operator&(const T& value) {
    if constexpr (std::is_same_v<T, double>) {
      writer_.write_f64(value);
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
      static_assert(sizeof(T) <= sizeof(std::uint64_t));
      writer_.write_u64(value);
    } else {
      static_assert(kIsDoubleVector<T>, "unsupported type in an accumulator's serialize()");
      writer_.write_array(std::span<const double>(value));
    }
    return *this;
  }

 private:
  detectors::StateWriter& writer_;
};

// Loads into already constructed accumulators: every vector keeps its size
// (the number of P² markers), so a saved vector of another size fails.
class LoadArchive {
 public:
  explicit LoadArchive(detectors::StateReader& reader) : reader_(reader) {}

  template <typename T>
  LoadArchive& operator&(T& value) {
    if constexpr (std::is_same_v<T, double>) {
      reader_.read_f64(value);
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
      std::uint64_t wide = 0;
      if (reader_.read_u64(wide)) {
        if (wide > std::numeric_limits<T>::max()) {
          reader_.fail();
        } else {
          value = static_cast<T>(wide);
        }
      }
    } else {
      static_assert(kIsDoubleVector<T>, "unsupported type in an accumulator's serialize()");
      reader_.read_array(std::span<double>(value));
    }
    return *this;
  }

 private:
  detectors::StateReader& reader_;
};

}  // namespace

struct ScoreAccumulator::Impl {
  acc::accumulator_set<double, acc::stats<acc::tag::count, acc::tag::mean, acc::tag::variance,
                                          acc::tag::extended_p_square>>
      set{acc::tag::extended_p_square::probabilities = kProbabilities};
};

ScoreAccumulator::ScoreAccumulator() : impl_(std::make_unique<Impl>()) {}
ScoreAccumulator::~ScoreAccumulator() = default;

void ScoreAccumulator::add(double score) {
  impl_->set(score);
}

std::uint64_t ScoreAccumulator::count() const {
  return acc::count(impl_->set);
}

std::optional<double> ScoreAccumulator::mean() const {
  if (count() == 0) return std::nullopt;
  return acc::mean(impl_->set);
}

std::optional<double> ScoreAccumulator::variance() const {
  if (count() == 0) return std::nullopt;
  return acc::variance(impl_->set);
}

std::optional<double> ScoreAccumulator::quantile(std::size_t i) const {
  if (count() < 5 || i >= kProbabilities.size()) return std::nullopt;
  return acc::extended_p_square(impl_->set)[i];
}

void ScoreAccumulator::encode(detectors::StateWriter& writer) const {
  SaveArchive archive(writer);
  impl_->set.serialize(archive, 0);
}

bool ScoreAccumulator::decode(detectors::StateReader& reader) {
  auto loaded = std::make_unique<Impl>();
  LoadArchive archive(reader);
  loaded->set.serialize(archive, 0);
  if (reader.failed()) return false;
  impl_ = std::move(loaded);
  return true;
}

}  // namespace fairwatch::daemon

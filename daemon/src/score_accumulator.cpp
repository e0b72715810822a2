#include "fairwatch/daemon/score_accumulator.h"

#include <boost/accumulators/accumulators.hpp>
#include <boost/accumulators/statistics/count.hpp>
#include <boost/accumulators/statistics/extended_p_square.hpp>
#include <boost/accumulators/statistics/mean.hpp>
#include <boost/accumulators/statistics/stats.hpp>
#include <boost/accumulators/statistics/variance.hpp>

namespace fairwatch::daemon {

namespace acc = boost::accumulators;

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

}  // namespace fairwatch::daemon

// A bounded record of a trajectory. Every record is pushed; when the buffer is
// full the older half is thinned (every second record dropped), so memory stays
// bounded on a run of any length, the newest records stay dense and step 0 is
// always kept. Records must have a member `std::int64_t step`, increasing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace snapscope {

// The step of a record: its `step` member, or that of the record a shared_ptr points to.
template <class T>
auto history_step(const T& r) -> decltype(r.step) { return r.step; }
template <class T>
std::int64_t history_step(const std::shared_ptr<T>& p) { return p->step; }

template <class T>
class ThinningHistory {
public:
    explicit ThinningHistory(std::size_t capacity = 4096) { set_capacity(capacity); }

    void set_capacity(std::size_t capacity) {
        capacity_ = std::max<std::size_t>(capacity, 4);
        while (items_.size() >= capacity_) thin();
        items_.reserve(capacity_);
    }
    std::size_t capacity() const { return capacity_; }

    void push(T item) {
        if (!items_.empty() && history_step(item) <= history_step(items_.back())) {
            // Same step recorded again (e.g. after a parameter change): replace it.
            while (!items_.empty() && history_step(items_.back()) >= history_step(item)) items_.pop_back();
        }
        if (items_.size() >= capacity_) thin();
        items_.push_back(std::move(item));
    }

    void clear() { items_.clear(); }
    bool empty() const { return items_.empty(); }
    std::size_t size() const { return items_.size(); }
    const T& operator[](std::size_t i) const { return items_[i]; }
    const T& back() const { return items_.back(); }
    const std::vector<T>& items() const { return items_; }
    typename std::vector<T>::const_iterator begin() const { return items_.begin(); }
    typename std::vector<T>::const_iterator end() const { return items_.end(); }

    // Index of the last record with step <= `step` (0 if none).
    std::size_t index_at(std::int64_t step) const {
        auto it = std::upper_bound(items_.begin(), items_.end(), step,
                                   [](std::int64_t s, const T& r) { return s < history_step(r); });
        return it == items_.begin() ? 0 : static_cast<std::size_t>(it - items_.begin()) - 1;
    }

private:
    void thin() {
        const std::size_t half = items_.size() / 2;
        std::size_t w = 0;
        // (Never move a record onto itself: a self-moved std::vector may come out empty.)
        for (std::size_t r = 0; r < half; r += 2, ++w)
            if (w != r) items_[w] = std::move(items_[r]);
        for (std::size_t r = half; r < items_.size(); ++r, ++w)
            if (w != r) items_[w] = std::move(items_[r]);
        items_.resize(w);
    }
    std::size_t capacity_ = 4096;
    std::vector<T> items_;
};

}  // namespace snapscope

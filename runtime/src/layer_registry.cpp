#include "layer_registry.h"

namespace gomhc::detail {

void LayerRegistry::add(const void *layer) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_[layer] = Entry{};
}

bool LayerRegistry::remove(const void *layer) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(layer);
    if (it == entries_.end() || it->second.destroyed) {
        return false;
    }
    if (it->second.busy) {
        it->second.destroyed = true;
        return false;
    }
    entries_.erase(it);
    return true;
}

bool LayerRegistry::live(const void *layer) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(layer);
    return it != entries_.end() && !it->second.destroyed;
}

LayerRegistry::Claim LayerRegistry::claim(const void *layer) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(layer);
    if (it == entries_.end() || it->second.destroyed) {
        return Claim::not_live;
    }
    if (it->second.busy) {
        return Claim::busy;
    }
    it->second.busy = true;
    return Claim::ok;
}

bool LayerRegistry::release(const void *layer) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(layer);
    if (it == entries_.end()) {
        return false;
    }
    it->second.busy = false;
    if (it->second.destroyed) {
        entries_.erase(it);
        return true;
    }
    return false;
}

LayerRegistry &layer_registry() {
    static LayerRegistry *registry = new LayerRegistry;  // outlives every static destructor
    return *registry;
}

}  // namespace gomhc::detail

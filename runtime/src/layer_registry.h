// The C API's live layers (gomhc.h, "Misuse"). A call with a pointer that is
// not a live layer (destroyed, or never made) is refused without touching
// it, and a call on a layer already in a call on another thread is refused
// rather than racing it. gomhc_layer_destroy during another thread's call
// leaves the delete to the end of that call.
#pragma once

#include <mutex>
#include <unordered_map>

namespace gomhc::detail {

class LayerRegistry {
public:
    enum class Claim { ok, not_live, busy };

    void add(const void *layer);
    // Whether the caller deletes the layer now: false when it was not live
    // (destroyed twice, or never made) or a call in flight deletes it.
    bool remove(const void *layer);
    bool live(const void *layer) const;
    // Starts a call on the layer.
    Claim claim(const void *layer);
    // Ends it; true when the layer was destroyed meanwhile and the caller
    // deletes it.
    bool release(const void *layer);

private:
    struct Entry {
        bool busy = false;
        bool destroyed = false;
    };
    mutable std::mutex mutex_;
    std::unordered_map<const void *, Entry> entries_;
};

LayerRegistry &layer_registry();

}  // namespace gomhc::detail

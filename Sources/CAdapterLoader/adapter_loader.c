/* The C API is implemented in Swift (Sources/AdapterLoader/CAPI.swift);
 * this target only publishes adapter_loader.h. */
#include "adapter_loader.h"

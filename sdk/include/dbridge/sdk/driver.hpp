// SPDX-License-Identifier: Apache-2.0
// Base classes that turn a C++ driver into the C tables of abi.h.
//
//   class my_conn final : public sdk::connection, public sdk::cap::sql,
//                         public sdk::cap::transactions { ... };
//   class my_driver final : public sdk::driver<my_conn> {
//    public:
//     static constexpr const char* schemes[] = {"my", nullptr};
//     static constexpr sdk::plugin_info info{.id = "my", .version = "1.0.0", .schemes = schemes};
//     std::unique_ptr<my_conn> connect(const dbr_url& url) override;
//   };
//   DBRIDGE_SDK_DRIVER(my_driver)
//
// The capability bitmask and the capability tables follow from the cap::*
// interfaces the connection class derives from. Every thunk is noexcept and
// catches everything: throw sdk::error for real errors; any other exception
// becomes DBR_E_INTERNAL carrying what().
#pragma once

// The author-facing API and the ABI glue live apart; this header is the one
// to include.
#include "dbridge/sdk/driver_api.hpp"
#include "dbridge/sdk/driver_glue.hpp"

# Line tables only (-g1) in the sanitizer builds: enough for their reports' stack traces, and on
# two cores it saves 10 % (ASan at -O0) and 40 % (TSan at -O1 instead of -O2 -g) of the compile
# time, measured on src/api/space_routes.cpp and src/store/sqlite_store_test.cpp. TSan wants -O1
# or more to run at a tolerable speed; ASan's tests run fast enough at -O0.
if(RIS_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g1)
  add_link_options(-fsanitize=address,undefined)
elseif(RIS_SANITIZE STREQUAL "thread")
  # GCC warns that TSan does not model atomic_thread_fence (used inside Asio); not our code.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan -O1 -g1)
  add_link_options(-fsanitize=thread)
elseif(NOT RIS_SANITIZE STREQUAL "")
  message(FATAL_ERROR "RIS_SANITIZE must be address, thread or empty, not '${RIS_SANITIZE}'")
endif()

# pb_add_module(NAME SRCS a.cpp ... DEPS pb::x ... [PRIVATE_DEPS lib ...])
# Declares the static library pb_NAME with alias pb::NAME. The DEPS list is the module's
# contract: a module may only include headers of the modules it names.
set(PB_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough)

function(pb_apply_flags target)
  target_compile_options(${target} PRIVATE ${PB_WARNINGS})
  if(PB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(PB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

function(pb_add_module name)
  cmake_parse_arguments(M "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(pb_${name} STATIC ${M_SRCS})
  add_library(pb::${name} ALIAS pb_${name})
  target_include_directories(pb_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(pb_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  pb_apply_flags(pb_${name})
endfunction()

# pb_add_test(NAME SRCS ... DEPS ... LABELS unit|integration|e2e|slow)
function(pb_add_test name)
  cmake_parse_arguments(T "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SRCS})
  target_link_libraries(${name} PRIVATE ${T_DEPS} ZLIB::ZLIB GTest::gtest GTest::gmock GTest::gtest_main)
  pb_apply_flags(${name})
  include(GoogleTest)
  # Tests find the repository and the binary under test through these (overridable by the
  # environment variables of the same names).
  target_compile_definitions(${name} PRIVATE PB_SOURCE_DIR_DEFAULT="${PROJECT_SOURCE_DIR}"
                             PB_BINARY_DEFAULT="${PROJECT_BINARY_DIR}/paperboy")
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()

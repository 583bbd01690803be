# Finds zeek-config: on PATH, then $ZEEK_HOME/bin, then /opt/zeek/bin (Zeek's usual prefix; $ZEEK_ARROW_FALLBACK_ZEEK
# names another, and pointing it nowhere makes a machine with /opt/zeek look like one without Zeek, for tests).
if(DEFINED ENV{ZEEK_ARROW_FALLBACK_ZEEK})
  set(_zeek_fallback "$ENV{ZEEK_ARROW_FALLBACK_ZEEK}")
else()
  set(_zeek_fallback /opt/zeek)
endif()
find_program(ZEEK_CONFIG zeek-config
  HINTS ENV PATH "$ENV{ZEEK_HOME}/bin" "${_zeek_fallback}/bin"
  NO_CACHE)
if(ZEEK_CONFIG)
  execute_process(COMMAND ${ZEEK_CONFIG} --cmake_dir OUTPUT_VARIABLE ZEEK_CMAKE_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${ZEEK_CONFIG} --version OUTPUT_VARIABLE ZEEK_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE)
  message(STATUS "zeek-arrow: building the Zeek plugin against Zeek ${ZEEK_VERSION} (${ZEEK_CONFIG})")
endif()

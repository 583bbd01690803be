# Finds zeek-config: on PATH, then $ZEEK_HOME/bin, then /opt/zeek/bin (Zeek's usual prefix).
find_program(ZEEK_CONFIG zeek-config
  HINTS ENV PATH "$ENV{ZEEK_HOME}/bin" /opt/zeek/bin
  NO_CACHE)
if(ZEEK_CONFIG)
  execute_process(COMMAND ${ZEEK_CONFIG} --cmake_dir OUTPUT_VARIABLE ZEEK_CMAKE_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${ZEEK_CONFIG} --version OUTPUT_VARIABLE ZEEK_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE)
  message(STATUS "zeek-arrow: building the Zeek plugin against Zeek ${ZEEK_VERSION} (${ZEEK_CONFIG})")
endif()

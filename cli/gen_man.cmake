# Writes the man pages into OUT: strata.1 and strata-COMMAND.1 for each
# command, by running STRATA (`strata help --man [COMMAND]`). Run by the
# build (cli/CMakeLists.txt) after strata links.
#   cmake -DSTRATA=build/cli/strata -DOUT=build/man -P cli/gen_man.cmake
file(MAKE_DIRECTORY "${OUT}")
file(GLOB old "${OUT}/*.1")
if(old)
  file(REMOVE ${old})
endif()
execute_process(COMMAND "${STRATA}" __complete commands
  OUTPUT_VARIABLE commands RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${STRATA} __complete commands failed: ${rc}")
endif()
string(REPLACE "\n" ";" commands "${commands}")
execute_process(COMMAND "${STRATA}" help --man OUTPUT_FILE "${OUT}/strata.1" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${STRATA} help --man failed: ${rc}")
endif()
foreach(c IN LISTS commands)
  if(c STREQUAL "" OR c STREQUAL "help" OR c STREQUAL "version")
    continue()
  endif()
  execute_process(COMMAND "${STRATA}" help --man "${c}"
    OUTPUT_FILE "${OUT}/strata-${c}.1" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${STRATA} help --man ${c} failed: ${rc}")
  endif()
endforeach()

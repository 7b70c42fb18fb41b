# nbgrader's settings for estil's notebooks (GoNB, the Go kernel).
#
# nbgrader's source version of each notebook (the students' text with the teacher's solutions; not
# the teacher's copy, whose answers nbgrader would release as they are) is written by
#   go run ./notebooks/gen -nbgrader ~/course -lang en     # or -lang ca
# into ~/course/source/<notebook>/, one assignment per notebook. Put this file in ~/course and run
# `nbgrader generate_assignment 03_gram`: it replaces each solution region
# (// BEGIN SOLUTION … // END SOLUTION) with the stub below, clears the prediction cells, and locks
# the check cells; `nbgrader autograde` then runs the check cells with NBGRADER_EXECUTION set, and
# a failed check writes to stderr, which nbgrader scores 0 (nbkit.Graded). The students' copies
# in notebooks/en and ca are already that release, for classes without nbgrader.
#
# nbgrader is not packaged in Debian and PyPI cannot be reached where estil is built: this file
# was checked against nbgrader's own ClearSolutions, LockCells and CheckCellMetadata code, not by
# a full nbgrader install.
c = get_config()
c.ClearSolutions.code_stub = {"go": "// TODO: write it (its comment above says what it returns)\nreturn nil"}

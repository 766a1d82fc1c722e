"""The ``qml`` command line: one dispatcher, one error policy, the commands.

The library (``qml.*`` outside this package) never imports from here; each module here turns
command-line options into library calls and prints or writes what they return.

==============  ==============================================================================
module          commands
==============  ==============================================================================
``cli``         the dispatcher :func:`~qml.apps.cli.main` and its error policy; ``vqe``,
                ``run``, ``problems``, ``info``, ``demo``; shared options and progress bars
``predict``     ``predict`` (:mod:`qml.predict`)
``design``      ``design`` (:mod:`qml.design`)
``sweep``       ``sweep`` and ``results`` (:mod:`qml.parallel`)
``tune``        ``tune`` (:mod:`qml.parallel.tune`)
``hardware``    ``submit``, ``jobs``, ``budget`` (:mod:`qml.backends`)
``bench``       ``bench`` (the scripts in ``benchmarks/``)
==============  ==============================================================================

Error policy (:func:`~qml.apps.cli.main`): a :class:`qml.errors.QMLError` (bad input), a
missing file or a missing optional extra is one line on stderr and exit status 2; anything
else is a bug: the traceback and a line saying so. Experiment files follow one schema
(:data:`qml.tables.LAYOUTS`), and every ``--out`` of a command that computes something is a
result record that :func:`qml.optimize.load_result` reads.

Example:
    >>> from qml.apps.cli import main
    >>> main(["vqe", "--problem", "nope"])
    2
"""

from qml.apps.cli import main

__all__ = ["main"]

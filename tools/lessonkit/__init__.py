"""The lesson platform's tools: student copies, the learner's workspace, headless runs and
the grader. ``tools/lessons.py`` is their command line; ``lessons/README.md`` explains how
to write a lesson for them."""

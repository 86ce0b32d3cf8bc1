"""The run pipeline: the steps of a classification job declared once, two executors.

claim.py      locks, the claim state machine (running → succeeded | failed, attempts),
              liveness (session lock or heartbeat), failing an attempt;
steps.py      the five steps (prepare, metrics per partition, cut points + prediction,
              classify per partition, finalise + post-run hooks), written against a Job;
runjob.py     the run as a Job: books in Run/RunPartition, the real writer, the switch;
write.py      classify and write one partition (classes, custom dimensions, history);
preview.py    the rule-set preview as a Job: books in memory, a dry-run writer, progress
              in the cache;
executors.py  the declaration (PHASES) and the in-process and Celery executors; the
              entries `segmentation_run` (in process) and `run_start` (workers if any);
timings.py    seconds per step and wall seconds per phase."""

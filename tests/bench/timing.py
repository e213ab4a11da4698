"""Whole-command timing shared by the command benchmarks: each variant run
once to warm caches, then N rounds that run every variant once in turn
(interleaved, so load on a noisy machine falls on all of them alike), and
the median of each."""
import statistics
import subprocess
import time


def time_command(command, env):
    """(wall-clock start, seconds) of one run of command, its output
    discarded; a failing command is an error, never a figure."""
    wall = time.time()
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return wall, time.perf_counter() - start


def interleaved_runs(variants, runs):
    """variants: {key: (command, env)}. Returns {key: [(start, seconds)]},
    one entry per round."""
    for command, env in variants.values():
        time_command(command, env)
    samples = {key: [] for key in variants}
    for _ in range(runs):
        for key, (command, env) in variants.items():
            samples[key].append(time_command(command, env))
    return samples


def median_seconds(samples):
    return statistics.median(seconds for _, seconds in samples)


def interleaved_medians(variants, runs):
    """variants: {key: (command, env)}. Returns {key: median seconds}."""
    return {key: median_seconds(s) for key, s in interleaved_runs(variants, runs).items()}

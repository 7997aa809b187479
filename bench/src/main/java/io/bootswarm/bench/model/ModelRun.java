package io.bootswarm.bench.model;

/**
 * P(t) as the model predicts it: wall-clock times and the bytes played back by then, with the
 * prefetch buffer B(t) (0 throughout for demand), and the runtime P⁻¹(A).
 *
 * @param wall     wall-clock seconds, non-decreasing
 * @param played   P at each wall time, bytes
 * @param buffer   B at each wall time, bytes
 * @param runtime  P⁻¹(A), seconds
 * @param ideal    M⁻¹(A), seconds
 */
public record ModelRun(double[] wall, double[] played, double[] buffer, double runtime, double ideal) {

    /** The figure of merit P⁻¹(A)/M⁻¹(A) (1 for a curve that needs nothing). */
    public double normalizedRuntime() {
        return ideal == 0 ? 1 : runtime / ideal;
    }

    /** P(time): bytes played back by wall-clock {@code time} (linear between points). */
    public double playedAt(double time) {
        if (time <= wall[0]) {
            return played[0];
        }
        for (int i = 1; i < wall.length; i++) {
            if (time < wall[i]) {
                double f = (time - wall[i - 1]) / (wall[i] - wall[i - 1]);
                return played[i - 1] + f * (played[i] - played[i - 1]);
            }
        }
        return played[played.length - 1];
    }
}

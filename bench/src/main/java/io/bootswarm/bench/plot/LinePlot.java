package io.bootswarm.bench.plot;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A line plot saved as a PNG with the CSV of its data beside it ({@code name.png},
 * {@code name.csv} with columns {@code series,x,y}): titled axes, a legend, markers on short series,
 * optional logarithmic axes, drawn headless (no display needed). One call per figure:
 *
 * <pre>
 * new LinePlot("Normalized runtime vs swarm size", "peers", "P⁻¹(A) / M⁻¹(A)")
 *         .logX().series("cs_d", peers, csd).series("p2p_p", peers, p2pp).save(dir, "fig8");
 * </pre>
 */
public final class LinePlot {

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private static final Color[] COLORS = {new Color(0xd62728), new Color(0x1f77b4), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};

    private record Series(String name, double[] x, double[] y, boolean dashed) {
    }

    private final String title;
    private final String xTitle;
    private final String yTitle;
    private final List<Series> series = new ArrayList<>();
    private boolean logX;
    private boolean logY;
    private Double yMin;
    private Double yMax;
    private int width = 1000;
    private int height = 650;

    public LinePlot(String title, String xTitle, String yTitle) {
        this.title = title;
        this.xTitle = xTitle;
        this.yTitle = yTitle;
    }

    public LinePlot series(String name, double[] x, double[] y) {
        return add(name, x, y, false);
    }

    /** A series drawn dashed and without markers (a model curve, a bound). */
    public LinePlot dashed(String name, double[] x, double[] y) {
        return add(name, x, y, true);
    }

    private LinePlot add(String name, double[] x, double[] y, boolean dashed) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length + " y values");
        }
        series.add(new Series(name, x.clone(), y.clone(), dashed));
        return this;
    }

    public LinePlot logX() {
        logX = true;
        return this;
    }

    public LinePlot logY() {
        logY = true;
        return this;
    }

    public LinePlot yRange(double min, double max) {
        yMin = min;
        yMax = max;
        return this;
    }

    public LinePlot size(int w, int h) {
        width = w;
        height = h;
        return this;
    }

    /** Writes {@code dir/name.png} and {@code dir/name.csv}; returns the PNG's path. */
    public Path save(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Csv csv = new Csv("series", "x", "y");
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                csv.row(s.name(), s.x()[i], s.y()[i]);
            }
        }
        csv.write(dir.resolve(name + ".csv"));
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        Styler st = chart.getStyler();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(0xdddddd));
        chart.getStyler().setLegendBorderColor(new Color(0xbbbbbb));
        st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        chart.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        chart.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        st.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setYAxisLogarithmic(logY);
        chart.getStyler().setMarkerSize(8);
        if (yMin != null) {
            chart.getStyler().setYAxisMin(yMin);
            chart.getStyler().setYAxisMax(yMax);
        }
        int i = 0;
        for (Series s : series) {
            double[] x = s.x();
            double[] y = s.y();
            if (x.length == 0) {
                x = new double[]{Double.NaN};
                y = new double[]{Double.NaN};
            }
            XYSeries xy = chart.addSeries(s.name(), x, y);
            Color c = COLORS[i++ % COLORS.length];
            xy.setLineColor(c);
            xy.setMarkerColor(c);
            xy.setLineWidth(2.2f);
            if (s.dashed()) {
                xy.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[]{8f, 6f}, 0f));
                xy.setMarker(SeriesMarkers.NONE);
            } else {
                xy.setMarker(s.x().length <= 40 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            }
        }
        Path png = dir.resolve(name + ".png");
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        return png;
    }
}

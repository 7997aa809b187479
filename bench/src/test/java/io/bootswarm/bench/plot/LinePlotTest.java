package io.bootswarm.bench.plot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LinePlotTest {

    @TempDir
    Path dir;

    @Test
    void writesAPngAndTheCsvBehindIt() throws Exception {
        Path png = new LinePlot("Normalized runtime vs swarm size", "peers", "P⁻¹(A) / M⁻¹(A)").logX()
                .series("cs_d", new double[]{1, 4, 16}, new double[]{1.2, 3.5, 12})
                .dashed("model", new double[]{1, 16}, new double[]{1, 10})
                .save(dir.resolve("fig"), "fig8");
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(1000);
        assertThat(img.getHeight()).isEqualTo(650);
        List<String> csv = Files.readAllLines(dir.resolve("fig/fig8.csv"));
        assertThat(csv).containsExactly("series,x,y", "cs_d,1,1.2", "cs_d,4,3.5", "cs_d,16,12", "model,1,1",
                "model,16,10");
    }

    @Test
    void csvQuotesTextAndWritesNumbersInTheRootLocale() throws Exception {
        Csv c = new Csv("name", "value").row("a,b", 0.5).row("plain", 3L).row("nan", Double.NaN);
        c.write(dir.resolve("t.csv"));
        assertThat(Files.readAllLines(dir.resolve("t.csv")))
                .containsExactly("name,value", "\"a,b\",0.5", "plain,3", "nan,");
    }
}

package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

/** Merging a device's extents ({@link Extents}) and fitting them to a request ({@link NbdCommands#fit}). */
class ExtentsTest {

    @Test
    void neighboursWithTheSameFlagsMergeAndEmptyStretchesVanish() {
        List<Extent> e = new Extents().add(4096, 3).add(4096, 3).add(0, 0).add(512, 0).add(512, 0).add(100, 3)
                .toList();
        assertThat(e).containsExactly(new Extent(8192, 3), new Extent(1024, 0), new Extent(100, 3));
    }

    @Test
    void aFullCollectorStopsAtItsLimitAndCountsOnlyWhatItKept() {
        Extents x = new Extents(2);
        for (int i = 0; i < 10; i++) {
            x.add(512, i % 2);
        }
        assertThat(x.full()).isTrue();
        assertThat(x.toList()).containsExactly(new Extent(512, 0), new Extent(512, 1));
        assertThat(x.covered()).isEqualTo(1024);
    }

    @Test
    void fitCutsToTheLengthAndToOneExtentWithReqOne() throws IOException {
        List<Extent> device = List.of(new Extent(1000, 0), new Extent(5000, 3), new Extent(10, 0));
        assertThat(NbdCommands.fit(device, 3000, false)).containsExactly(new Extent(1000, 0), new Extent(2000, 3));
        assertThat(NbdCommands.fit(device, 6010, false)).isEqualTo(device);
        assertThat(NbdCommands.fit(device, 500, true)).containsExactly(new Extent(500, 0));
        assertThat(NbdCommands.fit(device, 3000, true)).containsExactly(new Extent(1000, 0));
        assertThatThrownBy(() -> NbdCommands.fit(List.of(), 10, false)).isInstanceOf(IOException.class);
    }

    @Test
    void readChunksAreHolesForLongZeroRegionsAndOneChunkUnderDontFragment() {
        var file = (java.nio.channels.FileChannel) null;
        List<FileRegions.Region> regions = List.of(FileRegions.Region.zeroes(100), new FileRegions.Region(file, 0, 0),
                FileRegions.Region.zeroes(8192), FileRegions.Region.zeroes(4096));
        assertThat(ReplyWriter.chunks(1000, regions, false)).extracting(ReplyWriter.Chunk::hole, ReplyWriter.Chunk::offset,
                ReplyWriter.Chunk::length).containsExactly(
                org.assertj.core.groups.Tuple.tuple(false, 1000L, 100),
                org.assertj.core.groups.Tuple.tuple(true, 1100L, 12288));
        assertThat(ReplyWriter.chunks(1000, regions, true)).extracting(ReplyWriter.Chunk::hole,
                ReplyWriter.Chunk::length).containsExactly(org.assertj.core.groups.Tuple.tuple(true, 12388));
    }
}

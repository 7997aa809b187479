package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

class BufferPoolTest {

    @Test
    void buffersHaveHeadroomAndPowerOfTwoPayloadClasses() {
        BufferPool pool = new BufferPool(1 << 30);
        ByteBuffer small = pool.acquire(0);
        assertThat(small.isDirect()).isTrue();
        assertThat(small.position()).isZero();
        assertThat(small.limit()).isEqualTo(BufferPool.HEADROOM);
        assertThat(small.capacity()).isEqualTo(512 + BufferPool.HEADROOM);
        ByteBuffer mid = pool.acquire(513);
        assertThat(mid.capacity()).isEqualTo(1024 + BufferPool.HEADROOM);
        assertThat(mid.limit()).isEqualTo(513 + BufferPool.HEADROOM);
        ByteBuffer max = pool.acquire(32 << 20);
        assertThat(max.capacity()).isEqualTo((32 << 20) + BufferPool.HEADROOM);
        assertThatThrownBy(() -> pool.acquire((32 << 20) + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void releasedBuffersAreReusedUpToTheRetentionCap() {
        BufferPool pool = new BufferPool(3000);
        ByteBuffer a = pool.acquire(1000);
        ByteBuffer b = pool.acquire(1000);
        ByteBuffer c = pool.acquire(1000);
        pool.release(a);
        pool.release(b);
        pool.release(c); // over the cap of 3000 bytes: dropped
        assertThat(pool.retainedBytes()).isEqualTo(2 * (1024 + BufferPool.HEADROOM));
        ByteBuffer again = pool.acquire(700);
        assertThat(again).isSameAs(b); // LIFO
        assertThat(again.limit()).isEqualTo(700 + BufferPool.HEADROOM);
        assertThat(pool.acquire(1024)).isSameAs(a);
        assertThat(pool.acquire(1024)).isNotSameAs(c);
        assertThat(pool.retainedBytes()).isZero();
        pool.release(ByteBuffer.allocateDirect(100)); // not from the pool: ignored
        assertThat(pool.retainedBytes()).isZero();
    }
}

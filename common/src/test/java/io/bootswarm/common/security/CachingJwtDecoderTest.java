package io.bootswarm.common.security;

import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtValidationException;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CachingJwtDecoderTest {

    final ManualClock clock = new ManualClock(Instant.parse("2026-03-01T12:00:00Z"));

    /** Knows tokens by name, each with its expiry; refuses unknown and expired ones as a real decoder does. */
    final class Issuer implements JwtDecoder {
        final Map<String, Instant> expiries = new HashMap<>(); // null: a token without expiry
        final AtomicInteger decodes = new AtomicInteger();

        @Override
        public Jwt decode(String token) {
            decodes.incrementAndGet();
            if (!expiries.containsKey(token)) {
                throw new BadJwtException("bad signature");
            }
            Instant exp = expiries.get(token);
            if (exp != null && !clock.instant().isBefore(exp)) {
                throw new JwtValidationException("expired", List.of(new OAuth2Error("invalid_token")));
            }
            Jwt.Builder b = Jwt.withTokenValue(token).header("alg", "RS256").subject(token)
                    .issuedAt(clock.instant().minusSeconds(1));
            return (exp == null ? b : b.expiresAt(exp)).build();
        }
    }

    final Issuer issuer = new Issuer();
    final CachingJwtDecoder decoder = new CachingJwtDecoder(issuer, clock, 3);

    @Test
    void anAcceptedTokenIsVerifiedOnceUntilItExpires() {
        issuer.expiries.put("agent", clock.instant().plus(Duration.ofMinutes(5)));
        Jwt first = decoder.decode("agent");
        clock.advance(Duration.ofSeconds(299));
        assertThat(decoder.decode("agent")).isSameAs(first);
        assertThat(issuer.decodes).hasValue(1);
    }

    @Test
    void anExpiredTokenIsRefusedEvenThoughItWasCached() {
        issuer.expiries.put("agent", clock.instant().plus(Duration.ofMinutes(5)));
        decoder.decode("agent");
        clock.advance(Duration.ofMinutes(5));
        assertThatThrownBy(() -> decoder.decode("agent")).isInstanceOf(JwtValidationException.class);
        assertThatThrownBy(() -> decoder.decode("agent")).isInstanceOf(JwtValidationException.class);
        assertThat(issuer.decodes).as("handed to the delegate each time once expired").hasValue(3);
        assertThat(decoder.size()).isZero();
    }

    @Test
    void refusedTokensAreNotRemembered() {
        assertThatThrownBy(() -> decoder.decode("forged")).isInstanceOf(BadJwtException.class);
        issuer.expiries.put("forged", clock.instant().plusSeconds(60)); // would the delegate now accept it: asked again
        assertThat(decoder.decode("forged").getSubject()).isEqualTo("forged");
        assertThat(issuer.decodes).hasValue(2);
    }

    @Test
    void aTokenWithoutExpiryIsVerifiedEveryTime() {
        issuer.expiries.put("forever", null);
        decoder.decode("forever");
        decoder.decode("forever");
        assertThat(issuer.decodes).hasValue(2);
        assertThat(decoder.size()).isZero();
    }

    @Test
    void atMostMaxEntriesAreKept() {
        for (int i = 0; i < 10; i++) {
            issuer.expiries.put("t" + i, clock.instant().plus(Duration.ofMinutes(5)));
            decoder.decode("t" + i);
            assertThat(decoder.size()).isLessThanOrEqualTo(3);
        }
        assertThat(decoder.decode("t9").getSubject()).isEqualTo("t9");
    }
}

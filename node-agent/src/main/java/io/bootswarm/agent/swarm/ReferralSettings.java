package io.bootswarm.agent.swarm;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code bootswarm.agent.referrals.*}: how an agent follows a seed's {@code bs_referral} (the seed answers a demand
 * request for a piece it sent to other agents a moment ago by naming them; see {@link SeedReferrals}).
 *
 * @param connections connections to referred agents this host opens per swarm beyond {@code maxConnections} (at
 *                    most this many open at once; default 8); 0 turns referrals off: the agent does not ask for
 *                    {@code bs_referral}, and seeds serve it as before
 * @param fetchWait   how long a referred demand fetch waits for a named agent to show the piece before it asks the
 *                    seed again (which then serves it); null: the swarm's {@code coalesce-wait}
 */
@ConfigurationProperties("bootswarm.agent.referrals")
public record ReferralSettings(@DefaultValue("8") int connections, @Nullable Duration fetchWait) {

    public ReferralSettings {
        if (connections < 0) {
            throw new IllegalArgumentException("referral connections must not be negative: " + connections);
        }
        if (fetchWait != null && fetchWait.isNegative()) {
            throw new IllegalArgumentException("referral wait must not be negative: " + fetchWait);
        }
    }

    /** Referrals on, 8 connections, waiting the swarm's coalesce-wait. */
    public static ReferralSettings defaults() {
        return new ReferralSettings(8, null);
    }

    /** Referrals off: {@code bs_referral} is not asked for. */
    public static ReferralSettings off() {
        return new ReferralSettings(0, null);
    }

    public boolean enabled() {
        return connections > 0;
    }
}

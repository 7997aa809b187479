package io.bootswarm.common.outbox;

import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The transactional outbox: an event is written to the service's {@code outbox} table in the same
 * database transaction as the state change it reports, and {@link OutboxRelay} sends it to Kafka
 * after commit. A crash between commit and send loses nothing; a crash after send but before the
 * row is marked sends it again, which consumers absorb through the event id.
 *
 * <p>The table is defined once, in the repeatable Flyway migration {@code classpath:db/outbox/R__outbox.sql}
 * shipped beside this class: every service that uses the outbox adds {@code classpath:db/outbox} to
 * {@code spring.flyway.locations}.
 */
public final class Outbox {

    private final JdbcTemplate jdbc;
    private final OutboxRelay relay;

    public Outbox(JdbcTemplate jdbc, OutboxRelay relay) {
        this.jdbc = jdbc;
        this.relay = relay;
    }

    /**
     * Queues {@code event} for {@code topic} inside the caller's transaction.
     *
     * @throws IllegalStateException outside a transaction
     */
    public void publish(String topic, BootswarmEvent event) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("outbox events are written in the transaction that changes state");
        }
        jdbc.update("insert into outbox (topic, message_key, payload, created_at) values (?, ?, ?, now())",
                topic, event.key(), EventCodec.encode(event));
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                relay.wake();
            }
        });
    }
}

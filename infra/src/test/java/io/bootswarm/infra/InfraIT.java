package io.bootswarm.infra;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import io.bootswarm.infra.kafka.KafkaUser;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class InfraIT {

    @Test
    void postgresStoresAndReturnsRowsInAFreshDatabase() throws Exception {
        Infra infra = Infra.shared();
        String url = infra.newDatabase("infra");
        try (Connection c = DriverManager.getConnection(url, infra.postgres().username(), infra.postgres().password())) {
            c.createStatement().execute("create table t (id int primary key, v text)");
            c.createStatement().execute("insert into t values (1, 'one'), (2, 'two')");
            ResultSet rs = c.createStatement().executeQuery("select string_agg(v, ',' order by id), version() from t");
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("one,two");
            assertThat(rs.getString(2)).startsWith("PostgreSQL 18");
        }
    }

    @Test
    void kafkaDeliversWhatWasProduced() throws Exception {
        Map<String, Object> admin = Infra.shared().kafka().clientProperties(KafkaUser.ADMIN);
        Map<String, Object> producerConfig = new HashMap<>(admin);
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (var producer = new KafkaProducer<String, String>(producerConfig,
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>("infra-it", "k", "m" + i)).get();
            }
        }
        List<String> got = new ArrayList<>();
        Map<String, Object> consumerConfig = new HashMap<>(admin);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "infra-it");
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<String, String>(consumerConfig,
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("infra-it"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got.size() < 10 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    got.add(r.value());
                }
            }
        }
        assertThat(got).containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
        try (Admin client = Admin.create(admin)) {
            assertThat(client.describeCluster().controller().get()).isNotNull();
        }
    }
}

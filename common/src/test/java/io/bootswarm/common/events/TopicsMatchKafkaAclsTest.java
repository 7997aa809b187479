package io.bootswarm.common.events;

import io.bootswarm.infra.kafka.KafkaAcls;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The secured brokers of bootswarm-infra (which cannot see this module) create and guard the same
 * topics, with the same shape, as the services declare here.
 */
class TopicsMatchKafkaAclsTest {

    @Test
    void everyTopicHasItsAclsAndTheSameShape() throws Exception {
        var declared = TopicsAutoConfiguration.topics(4, -1);
        assertThat(Arrays.stream(Topics.class.getFields()).filter(f -> Modifier.isStatic(f.getModifiers()))
                .map(TopicsMatchKafkaAclsTest::value))
                .containsExactlyInAnyOrderElementsOf(KafkaAcls.topics().stream().map(KafkaAcls.Topic::name).toList());
        Map<String, NewTopic> byName = declared.stream().collect(Collectors.toMap(NewTopic::name, t -> t));
        for (KafkaAcls.Topic t : KafkaAcls.topics()) {
            NewTopic d = byName.get(t.name());
            assertThat(d).as(t.name()).isNotNull();
            assertThat(d.numPartitions()).as(t.name()).isEqualTo(t.partitions() > 0 ? t.partitions() : 4);
            assertThat(d.configs() == null ? Map.of() : d.configs()).as(t.name()).isEqualTo(t.configs());
        }
        assertThat(KafkaAcls.PLAN_MAX_BYTES).isEqualTo(TopicsAutoConfiguration.PLAN_MAX_BYTES);
        assertThat(KafkaAcls.grants()).allSatisfy(g -> assertThat(g.groupPrefix()).isEqualTo(g.user().principal()));
    }

    private static String value(Field f) {
        try {
            return (String) f.get(null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.bootswarm.common.jpa;

import io.bootswarm.infra.Infra;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Id;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.support.JpaRepositoryFactory;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.orm.jpa.persistenceunit.PersistenceManagedTypes;
import org.springframework.orm.jpa.vendor.HibernateJpaVendorAdapter;

import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AssignedIdEntity} under Hibernate and Spring Data JPA against a real PostgreSQL: a new
 * entity is saved by persist (the same instance comes back, not a merged copy), and one that was
 * persisted or loaded is no longer new.
 */
class AssignedIdEntityIT {

    /** An entity whose id the caller assigns. */
    @Entity
    static class Note extends AssignedIdEntity<UUID> {
        @Id
        private UUID id;
        private String text;

        protected Note() {
        }

        Note(UUID id, String text) {
            this.id = id;
            this.text = text;
        }

        @Override
        public UUID getId() {
            return id;
        }
    }

    interface Notes extends JpaRepository<Note, UUID> {
    }

    private static LocalContainerEntityManagerFactoryBean jpa;

    @BeforeAll
    static void startJpa() {
        Infra infra = Infra.shared();
        jpa = new LocalContainerEntityManagerFactoryBean();
        jpa.setDataSource(new DriverManagerDataSource(infra.newDatabase("jpa"), infra.postgres().username(),
                infra.postgres().password()));
        jpa.setManagedTypes(PersistenceManagedTypes.of(Note.class.getName()));
        jpa.setJpaVendorAdapter(new HibernateJpaVendorAdapter());
        jpa.setJpaPropertyMap(Map.of("hibernate.hbm2ddl.auto", "create"));
        jpa.afterPropertiesSet();
    }

    @AfterAll
    static void stopJpa() {
        jpa.destroy();
    }

    private static <T> T inTransaction(Function<EntityManager, T> work) {
        try (EntityManager em = jpa.getObject().createEntityManager()) {
            em.getTransaction().begin();
            T result = work.apply(em);
            em.getTransaction().commit();
            return result;
        }
    }

    private static Note save(EntityManager em, Note note) {
        Note saved = new JpaRepositoryFactory(em).getRepository(Notes.class).save(note);
        em.flush();
        return saved;
    }

    @Test
    void aNewEntityIsPersistedAndThenNoLongerNew() {
        Note note = new Note(UUID.randomUUID(), "first");
        assertThat(note.isNew()).isTrue();

        Note saved = inTransaction(em -> save(em, note));
        assertThat(saved).as("persisted, not merged into a copy").isSameAs(note);
        assertThat(note.isNew()).isFalse();

        Note loaded = inTransaction(em -> em.find(Note.class, note.getId()));
        assertThat(loaded).isNotSameAs(note);
        assertThat(loaded.text).isEqualTo("first");
        assertThat(loaded.isNew()).isFalse();
    }

    @Test
    void aLoadedEntityIsSavedByMerge() {
        UUID id = UUID.randomUUID();
        inTransaction(em -> save(em, new Note(id, "before")));

        Note detached = inTransaction(em -> em.find(Note.class, id));
        detached.text = "after";
        Note merged = inTransaction(em -> save(em, detached));

        assertThat(merged).isNotSameAs(detached);
        assertThat(inTransaction(em -> em.find(Note.class, id)).text).isEqualTo("after");
    }
}

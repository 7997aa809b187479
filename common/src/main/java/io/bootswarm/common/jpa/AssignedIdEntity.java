package io.bootswarm.common.jpa;

import jakarta.persistence.MappedSuperclass;
import jakarta.persistence.PostLoad;
import jakarta.persistence.PostPersist;
import jakarta.persistence.Transient;
import org.springframework.data.domain.Persistable;

/**
 * Base of JPA entities whose id the service assigns itself (a UUID, a composite key) before the
 * first save. Spring Data takes an entity with a non-null id for a stored one and merges it, which
 * costs a SELECT before every INSERT; this one is new from construction until JPA has persisted or
 * loaded it, so {@code save()} persists it directly. Subclasses map their own id and return it from
 * {@link #getId()}.
 *
 * @param <ID> the id type
 */
@MappedSuperclass
public abstract class AssignedIdEntity<ID> implements Persistable<ID> {

    @Transient
    private boolean fresh = true;

    @Override
    public boolean isNew() {
        return fresh;
    }

    @PostLoad
    @PostPersist
    void stored() {
        fresh = false;
    }
}

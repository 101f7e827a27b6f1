package dev.kvbench.runtime;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A small map over arrays whose entries are reused from step to step: {@code clear()} and {@code put()} allocate
 * nothing once it has grown to the step's size (a HashMap allocates a node per put). Linear lookups: it holds the
 * few dozen inputs or outputs of one {@code OrtSession.run}.
 */
final class ReusableMap<V> extends AbstractMap<String, V> {
    private Slot<V>[] slots = newSlots(8);
    private int size;
    private final EntrySet entries = new EntrySet();
    private final Cursor cursor = new Cursor();

    private static final class Slot<V> implements Entry<String, V> {
        String key;
        V value;

        @Override
        public String getKey() {
            return key;
        }

        @Override
        public V getValue() {
            return value;
        }

        @Override
        public V setValue(V v) {
            V old = value;
            value = v;
            return old;
        }
    }

    @SuppressWarnings("unchecked")
    private static <V> Slot<V>[] newSlots(int n) {
        Slot<V>[] s = new Slot[n];
        for (int i = 0; i < n; i++) {
            s[i] = new Slot<>();
        }
        return s;
    }

    @Override
    public V put(String key, V value) {
        for (int i = 0; i < size; i++) {
            if (slots[i].key.equals(key)) {
                return slots[i].setValue(value);
            }
        }
        if (size == slots.length) {
            Slot<V>[] grown = newSlots(2 * size);
            System.arraycopy(slots, 0, grown, 0, size);
            slots = grown;
        }
        slots[size].key = key;
        slots[size].value = value;
        size++;
        return null;
    }

    @Override
    public V get(Object key) {
        for (int i = 0; i < size; i++) {
            if (slots[i].key.equals(key)) {
                return slots[i].value;
            }
        }
        return null;
    }

    @Override
    public boolean containsKey(Object key) {
        for (int i = 0; i < size; i++) {
            if (slots[i].key.equals(key)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void clear() {
        for (int i = 0; i < size; i++) {
            slots[i].key = null;
            slots[i].value = null;
        }
        size = 0;
    }

    @Override
    public Set<Entry<String, V>> entrySet() {
        return entries;
    }

    private final class EntrySet extends AbstractSet<Entry<String, V>> {
        @Override
        public Iterator<Entry<String, V>> iterator() {
            cursor.next = 0;
            return cursor;
        }

        @Override
        public int size() {
            return size;
        }
    }

    /** One iterator, reset per use: the maps are read by one thread, one pass at a time. */
    private final class Cursor implements Iterator<Entry<String, V>> {
        int next;

        @Override
        public boolean hasNext() {
            return next < size;
        }

        @Override
        public Entry<String, V> next() {
            if (next >= size) {
                throw new NoSuchElementException();
            }
            return slots[next++];
        }
    }
}

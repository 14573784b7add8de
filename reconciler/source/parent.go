package source

// Parent returns the first parent of commit sha: the commit it was made
// on top of (for a merge, the branch merged into). A root commit has none:
// "".
func (r *Repo) Parent(sha string) (string, error) {
	st := r.state.Load().st
	st.mu.Lock()
	defer st.mu.Unlock()
	c, err := st.commit(sha)
	if err != nil {
		return "", err
	}
	if len(c.ParentHashes) == 0 {
		return "", nil
	}
	return c.ParentHashes[0].String(), nil
}

package containers

// ended: the record says the container's last start ended: it exited,
// or its command never started (created, with the reason in Error; see
// launch's endStatus).
func (st State) ended() bool {
	return st.Status == StatusExited || st.Status == StatusCreated && st.Error != ""
}

"""Pages that compose several apps (the home page). It sits above every domain app: it may
import customers, segmentation and strategies; none of them, nor crm, imports it."""
